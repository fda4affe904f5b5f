/**
 * What happens between sampling steps of one batched stage: throttled progress writes (and
 * progress webhooks), throttled cancel polling, and billing a cancelled job for the steps it
 * ran. Nothing here is waited for by the sampling loop except the bill of a job just seen
 * cancelled: a storage round trip must not stall every job in the batch.
 */
import type { JobStore } from '@baton/jobs';
import { CancelledError } from '@baton/pipeline/spec';
import type { Logger } from './logger.ts';
import type { Work } from './work.ts';

export interface StepMonitorOptions {
  jobs: JobStore;
  stage: string;
  group: readonly Work[];
  log: Logger;
  progressIntervalMs: number;
  cancelCheckIntervalMs: number;
  /** Bills a job for `steps` steps, stopped early. */
  billPartial: (w: Work, steps: number) => Promise<void>;
  /** A progress event for webhooks (never waited for). */
  onProgress?: (w: Work, step: number, of: number) => void;
  /** Heartbeats and deadlines from the caller (throw to stop). */
  betweenSteps?: () => void | Promise<void>;
  now?: () => number;
}

export class StepMonitor {
  /** Jobs seen cancelled while the stage ran. */
  readonly cancelled = new Set<string>();
  /** Jobs already billed for the steps they ran (a cancelled job riding along in the batch). */
  readonly billed = new Set<string>();
  stepsDone = 0;
  /** A stage's first progress write comes one interval in: a short stage writes none (its started record says it runs). */
  private lastProgress: number;
  private lastCancelCheck: number;
  private progressWrite: Promise<void> | undefined;
  private cancelCheck: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly o: StepMonitorOptions) {
    this.now = o.now ?? Date.now;
    this.lastProgress = this.now();
    this.lastCancelCheck = this.lastProgress;
  }

  /** The sampler's onStep: throws CancelledError once every job in the batch is cancelled. */
  readonly onStep = async (step: number, of: number): Promise<void> => {
    this.stepsDone = step;
    const t = this.now();
    if (!this.progressWrite && t - this.lastProgress >= this.o.progressIntervalMs) {
      this.lastProgress = t;
      this.progressWrite = this.background('progress', this.writeProgress(step, of)).finally(() => {
        this.progressWrite = undefined;
      });
    }
    if (!this.cancelCheck && t - this.lastCancelCheck >= this.o.cancelCheckIntervalMs) {
      this.lastCancelCheck = t;
      this.cancelCheck = this.background('cancel-check', this.checkCancelled()).finally(() => {
        this.cancelCheck = undefined;
      });
    }
    if (this.cancelled.size === this.o.group.length)
      throw new CancelledError(`all ${this.o.group.length} jobs cancelled`);
    // A cancelled job in a shared batch rides along to the end, but is billed only to here.
    for (const w of this.o.group) {
      if (this.cancelled.has(w.msg.jobId) && !this.billed.has(w.msg.jobId)) {
        this.billed.add(w.msg.jobId);
        await this.o.billPartial(w, step);
      }
    }
    await this.o.betweenSteps?.();
  };

  /** Waits for the writes in flight: nothing is left running when the stage returns (a Lambda may freeze). */
  async settle(): Promise<void> {
    await Promise.all([this.progressWrite, this.cancelCheck]);
  }

  private async writeProgress(step: number, of: number) {
    for (const w of this.o.group) this.o.onProgress?.(w, step, of);
    await Promise.all(this.o.group.map((w) => this.o.jobs.setProgress(w.msg.jobId, this.o.stage, step, of)));
  }

  private async checkCancelled() {
    await Promise.all(
      this.o.group.map(async (w) => {
        if ((await this.o.jobs.kinds(w.msg.jobId)).has('cancelled')) this.cancelled.add(w.msg.jobId);
      }),
    );
  }

  private background(what: string, p: Promise<unknown>): Promise<void> {
    return p.then(
      () => undefined,
      (e) => this.o.log('stage.background_error', { stage: this.o.stage, what, error: String(e) }),
    );
  }
}
