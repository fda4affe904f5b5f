/**
 * One batched stage for a group of jobs that share its settings, in three steps:
 * compute (inputs → one batched model call → outputs), commit per job (put the output → the
 * done record with its usage, and the next stage's message), and metrics. A job cancelled while
 * the stage ran gets no output and is billed for the steps that ran.
 */
import { concatBatch, type Tensor } from '@baton/diffusion';
import { type JobStore, nextStage, PermanentError } from '@baton/jobs';
import type { Cascade } from '@baton/pipeline';
// Subpaths without the model runtime: this package's Lambda handlers (dead letters, webhooks) bundle without onnxruntime.
import { runStage } from '@baton/pipeline/best-of';
import { previewHooks } from '@baton/pipeline/previews';
import { CancelledError, parseStage, type Scored } from '@baton/pipeline/spec';
import { usageRecord } from './billing.ts';
import type { Logger } from './logger.ts';
import { PreviewWrites } from './preview-writes.ts';
import { latentsFile, type StageInput, stageInput } from './stage-input.ts';
import { StepMonitor } from './step-monitor.ts';
import type { WebhookSender } from './webhooks.ts';
import { admitted, type Work } from './work.ts';

export interface StageMetrics {
  stage: string;
  ms: number;
  steps: number;
  batch: number;
  queueWaitMs: number;
  onnxMs: number;
  jobIds: string[];
}

/** What a hand-on may wait for: the output stored (to send a message that does not carry it), the done record (a stage run here next). */
export interface HandOnAfter {
  stored: Promise<unknown>;
  recorded: Promise<unknown>;
}

export interface StageRunContext {
  jobs: JobStore;
  log: Logger;
  webhooks?: WebhookSender;
  progressIntervalMs: number;
  cancelCheckIntervalMs: number;
  pricePerComputeSecond: number;
  betweenSteps?: () => void | Promise<void>;
  /** A job's next stage, given its output (for the last stage: the job ends, after its done record). */
  handOn: (w: Work, output: Uint8Array, after?: HandOnAfter) => Promise<void>;
  onMetrics?: (m: StageMetrics) => void;
}

interface Sampled {
  outputs: Uint8Array[];
  steps: number;
  /** Per job: the model steps its draws ran (a best_of job's candidates and drafts, all billed), and its scores where it scored. */
  drawSteps: number[];
  scored: (Scored | undefined)[];
}

interface Computed extends Sampled {
  ms: number;
  onnxMs: number;
  /** When the inputs were in hand and the model call began, and when it ended (ms). */
  loaded: number;
  ran: number;
}

export class StageRun {
  private readonly stage: string;
  private readonly model: string;
  private readonly monitor: StepMonitor;
  private readonly t0 = Date.now();
  /** The jobs' "started" records, written while the stage computes. */
  private started: Promise<unknown> = Promise.resolve();
  /** Partial images being written while the stage computes and commits. */
  private readonly previews: PreviewWrites;

  constructor(
    private readonly cascade: Cascade,
    private readonly group: readonly Work[],
    private readonly c: StageRunContext,
  ) {
    this.stage = group[0]!.msg.stage;
    this.model = cascade.manifest.id;
    this.previews = new PreviewWrites(c.jobs, c.log, this.stage);
    this.monitor = new StepMonitor({
      jobs: c.jobs,
      stage: this.stage,
      group,
      log: c.log,
      progressIntervalMs: c.progressIntervalMs,
      cancelCheckIntervalMs: c.cancelCheckIntervalMs,
      billPartial: (w, steps) => this.bill(w, Date.now() - this.t0, steps, false),
      onProgress: (w, step, of) => void this.progressed(w, step, of),
      ...(c.betweenSteps && { betweenSteps: c.betweenSteps }),
    });
  }

  /**
   * Computes, and returns as soon as the outputs are in hand: storing them, handing each job on
   * and its done record (and the partial images) are the returned tail, which the caller awaits
   * before it acknowledges the messages. A decode run next, here, starts meanwhile.
   */
  async run(): Promise<{ tail: Promise<void> }> {
    this.checkModel();
    const computed = await this.compute();
    if (!computed) return { tail: Promise.resolve() };
    // A job read beside the computation that need not go on (ended, done, unknown) commits nothing.
    const go = await Promise.all(this.group.map(admitted));
    const tail = Promise.all([
      ...this.group.map((w, i) => (go[i] ? this.commit(w, i, computed) : undefined)),
      this.previews.settled(),
    ]).then(() => this.metrics(computed));
    // Seen by the caller; never an unhandled rejection before it looks.
    tail.catch(() => undefined);
    return { tail };
  }

  private checkModel() {
    for (const w of this.group) {
      if (w.request.model !== this.model) {
        throw new PermanentError(
          `job ${w.msg.jobId} was made for model ${w.request.model}, this worker runs ${this.model}`,
          'model_mismatch',
          { jobId: w.msg.jobId, stage: this.stage },
        );
      }
    }
  }

  /**
   * The batched model call; null when every job was cancelled mid-stage (billed to there). The
   * "started" records are written while it runs (each is in before its job's done record).
   */
  private async compute(): Promise<Computed | null> {
    const { jobs } = this.c;
    const onnx0 = this.cascade.family.stats.runMs;
    const start = async (w: Work) => {
      const request = await admitted(w);
      if (request) await jobs.start(request, this.stage, w.message.id);
    };
    this.started = Promise.all(this.group.map(start));
    // Seen by commit, or by the cancel path below; never an unhandled rejection meanwhile.
    this.started.catch(() => undefined);
    const inputs = await Promise.all(this.group.map((w) => stageInput(this.c.jobs, this.model, w)));
    const loaded = Date.now();
    let result: Sampled;
    try {
      result = await this.sample(inputs);
    } catch (e) {
      await Promise.all([this.monitor.settle(), this.started, this.previews.settled()]);
      if (!(e instanceof CancelledError)) throw e;
      const steps = this.monitor.stepsDone;
      this.c.log('stage.cancelled', { stage: this.stage, jobIds: this.jobIds(), step: steps });
      const elapsed = Date.now() - this.t0;
      const unbilled = this.group.filter((w) => !this.monitor.billed.has(w.msg.jobId));
      await Promise.all(unbilled.map((w) => this.bill(w, elapsed, steps, false)));
      return null;
    }
    await this.monitor.settle();
    const onnxMs = Math.round((this.cascade.family.stats.runMs - onnx0) * 10) / 10;
    const ran = Date.now();
    return { ...result, ms: ran - this.t0, onnxMs, loaded, ran };
  }

  private async sample(inputs: (StageInput | null)[]): Promise<Sampled> {
    const specs = this.group.map((w, i) => {
      const relaySeed = inputs[i]?.relaySeed;
      return relaySeed === undefined ? w.request.spec : { ...w.request.spec, relaySeed };
    });
    const onStep = this.monitor.onStep;
    const s = parseStage(this.stage);
    const one = { drawSteps: specs.map(() => 1), scored: specs.map(() => undefined) };
    if (s.kind === 'decode') {
      await onStep(0, 1);
      const images = await this.cascade.decode(inputs.map((x) => x!.draws[0] as Tensor));
      await onStep(1, 1);
      return { outputs: images.map((img) => this.cascade.domain.codec.encode(img)), steps: 1, ...one };
    }
    const firsts = this.group.map((w) => w.request.stages[0]!);
    const results = await runStage(
      this.cascade,
      this.stage,
      specs,
      inputs.map((x) => x?.draws ?? []),
      (drawn, owner) => ({
        onStep,
        // Partial images for the jobs that asked (none asked: no hooks, no cost).
        ...previewHooks(
          this.cascade,
          drawn,
          owner.map((j) => this.group[j]!.request.stages),
          this.stage,
          (i, slot, image) =>
            this.previews.write(
              this.group[owner[i]!]!.msg.jobId,
              slot,
              this.cascade.domain.codec.encode(image),
            ),
        ),
      }),
      firsts,
    );
    return {
      outputs: results.map((r, i) =>
        latentsFile(concatBatch(r.latents), this.group[i]!, this.model, r.spec.relaySeed),
      ),
      steps: s.kind === 'base' ? specs[0]!.stepsBase : specs[0]!.stepsRelay,
      drawSteps: results.map((r) => r.steps),
      scored: results.map((r) => r.scored),
    };
  }

  /**
   * One job's output stored, its next stage handed on and its done record (with the usage, one
   * write) written: all in `written`, which the caller does not wait for before it runs a next
   * stage here (the decode starts at once; its done record follows this one's). A next stage's
   * message carries a small output, so it is sent beside the put; a large one after it. The
   * last stage puts the image, then claims the outcome with its done record (one write) and
   * ends the job; a cancel that claimed it first stands, and the image goes. A crash after the
   * output's put and before the done record leaves the stage unbilled and not done: its
   * redelivery runs it again (the same bytes) and writes both.
   */
  private commit(w: Work, i: number, r: Computed): Promise<void> {
    const { jobs } = this.c;
    const id = w.msg.jobId;
    const output = r.outputs[i]!;
    const last = !nextStage(w.request.stages, this.stage);
    const usage = this.monitor.billed.has(id)
      ? undefined
      : this.usage(w, r.ms, r.steps, true, r.drawSteps, i);
    let recorded!: (p: Promise<unknown>) => void;
    const prior = new Promise<unknown>((res) => {
      recorded = res;
    });
    prior.catch(() => undefined);
    const cancelled = () => this.c.log('stage.cancelled', { stage: this.stage, jobIds: [id], step: r.steps });
    const written = (async () => {
      // Cancelled while this stage ran (seen between steps): no output; the steps that ran are billed.
      if (this.monitor.cancelled.has(id)) {
        await Promise.all([usage && jobs.bill(usage), this.started]);
        return cancelled();
      }
      const stored = Promise.all([jobs.putOutput(id, this.stage, output, this.contentType()), this.started]);
      // A next stage run elsewhere waits for this stage's partial images (preview-writes.ts); a
      // decode run here joins this batch at once (worker.ts).
      const previewsFirst = this.previews.any && nextStage(w.request.stages, this.stage) !== 'decode';
      const handOn = () => this.c.handOn(w, output, { stored, recorded: prior });
      await Promise.all([stored, !last && (previewsFirst ? this.previews.settled().then(handOn) : handOn())]);
      await w.prior;
      const fields = { ...this.doneFields(w, r), trace: this.trace(w, r), messageId: w.message.id };
      const scored = r.scored[i] && { scored: r.scored[i] };
      const done = await jobs.stageDone(
        id,
        this.stage,
        { ...fields, ...scored },
        usage,
        last ? 'succeeded' : undefined,
      );
      if (last && !done) {
        // A cancel claimed the outcome first (the steps that ran are billed).
        await jobs.deleteOutput(id, this.stage);
        return cancelled();
      }
      if (last) await this.c.handOn(w, output);
      this.c.log('stage.done', {
        jobId: id,
        stage: this.stage,
        correlationId: w.msg.correlationId,
        ...fields,
      });
    })();
    recorded(written);
    return written;
  }

  private contentType() {
    return parseStage(this.stage).kind === 'decode'
      ? this.cascade.domain.codec.contentType
      : 'application/octet-stream';
  }

  private doneFields(w: Work, r: Computed) {
    const queueWaitMs = w.message.sentAt ? Math.max(0, w.receivedAt - w.message.sentAt) : 0;
    return { ms: r.ms, steps: r.steps, batch: this.group.length, queueWaitMs, onnxMs: r.onnxMs };
  }

  /** Where the stage's time went for this job (bench section 3): store ends as the done record is written. */
  private trace(w: Work, r: Computed) {
    return {
      receivedAt: w.receivedAt,
      loadMs: r.loaded - w.receivedAt,
      runMs: r.ran - r.loaded,
      storeMs: Date.now() - r.ran,
    };
  }

  private metrics(r: Computed) {
    this.c.onMetrics?.({
      stage: this.stage,
      ms: r.ms,
      onnxMs: r.onnxMs,
      steps: r.steps,
      batch: this.group.length,
      queueWaitMs: Math.max(
        0,
        ...this.group.map((w) => (w.message.sentAt ? w.receivedAt - w.message.sentAt : 0)),
      ),
      jobIds: this.jobIds(),
    });
  }

  /** Bills a job that stops here (cancelled): the steps that ran; nothing if it was over before this stage (its read). */
  private async bill(w: Work, computeMs: number, steps: number, complete: boolean) {
    if (await admitted(w)) await this.c.jobs.bill(this.usage(w, computeMs, steps, complete));
  }

  /** A progress webhook, once the job's read is in (a message carries no webhook). */
  private async progressed(w: Work, step: number, of: number) {
    const request = await admitted(w);
    const data = { status: 'running', stage: this.stage, step, of };
    if (request) this.c.webhooks?.send(request, 'progress', data, `_${this.stage}_${step}`);
  }

  /** A job's usage: its share of the call by the steps its draws ran (best_of bills every candidate). */
  private usage(w: Work, computeMs: number, steps: number, complete: boolean, drawSteps?: number[], i = 0) {
    const mine = drawSteps?.[i] ?? steps;
    const all = drawSteps?.reduce((a, b) => a + b, 0) ?? steps * this.group.length;
    return usageRecord(w, {
      manifest: this.cascade.manifest,
      stage: this.stage,
      computeMs: (computeMs * mine * this.group.length) / all,
      steps: mine,
      batch: this.group.length,
      complete,
      pricePerComputeSecond: this.c.pricePerComputeSecond,
      at: Date.now(),
    });
  }

  private jobIds() {
    return this.group.map((w) => w.msg.jobId);
  }
}
