/**
 * A stage's partial images being written: each started as the model makes it, all awaited
 * before the stage ends and, when its job's next stage runs elsewhere, before that stage is
 * handed on (then they do not wait on a CPU the next stage's model keeps busy, and a stream
 * shows them sooner).
 */
import type { JobStore } from '@baton/jobs';
import type { PreviewSlot } from '@baton/pipeline/previews';
import type { Logger } from './logger.ts';

export class PreviewWrites {
  private readonly writes: Promise<void>[] = [];

  constructor(
    private readonly jobs: JobStore,
    private readonly log: Logger,
    private readonly stage: string,
  ) {}

  /** Starts writing one. A partial image lost is logged, not retried: the job goes on without it. */
  write(jobId: string, slot: PreviewSlot, png: Uint8Array): void {
    this.writes.push(
      this.jobs
        .putPreview(jobId, slot.index, slot.label, png)
        .catch((e) =>
          this.log('stage.preview_error', { jobId, stage: this.stage, slot: slot.label, error: String(e) }),
        ),
    );
  }

  /** Whether this stage writes any. */
  get any(): boolean {
    return this.writes.length > 0;
  }

  /** Every one started so far is in (or logged as lost); never rejects. */
  settled(): Promise<unknown> {
    return Promise.all(this.writes);
  }
}
