/**
 * A stage worker: takes a batch of stage messages, runs what must run as batched model
 * calls (StageRun), then hands each job on to its next stage. The same code serves the
 * local stack's worker processes, the Lambda handlers and the GPU container poller.
 *
 * Delivery is at least once: a stage with a done record is not computed again; a
 * permanent failure marks the job failed and is not retried; a transient one is
 * returned for retry (and reaches the dead-letter queue after maxReceiveCount).
 */

import { isDeepStrictEqual } from 'node:util';
import { isTransient } from '@baton/aws';
import { DEFAULTS } from '@baton/config';
import {
  type Enqueue,
  errorCode,
  handOnMessage,
  isPermanent,
  type JobRequest,
  type JobStore,
  nextStage,
  PermanentError,
  parseStageMessage,
  previousStage,
  type StageMessage,
} from '@baton/jobs';
import type { Cascade } from '@baton/pipeline';
import { LAMBDA_3GB_PRICE_PER_SECOND } from './billing.ts';
import { type Logger, silent } from './logger.ts';
import { type HandOnAfter, type StageMetrics, StageRun } from './stage-run.ts';
import type { WebhookSender } from './webhooks.ts';
import type { IncomingMessage, Work } from './work.ts';

export type { StageMetrics } from './stage-run.ts';
export type { IncomingMessage } from './work.ts';

export interface BatchResult {
  /** Message ids to leave on the queue for another delivery (transient failures). */
  retry: string[];
}

export interface WorkerOptions {
  jobs: JobStore;
  cascade: () => Promise<Cascade>;
  enqueue: Enqueue;
  log?: Logger;
  progressIntervalMs?: number;
  cancelCheckIntervalMs?: number;
  onMetrics?: (m: StageMetrics) => void;
  /** Price of one compute-second, for usage records (USD); Lambda's by default. */
  pricePerComputeSecond?: number;
  webhooks?: WebhookSender;
}

export interface HandleHooks {
  /** Between sampling steps: visibility heartbeats, deadline checks (throw to stop). */
  betweenSteps?: () => void | Promise<void>;
}

const errorText = (e: unknown) => (e instanceof Error ? (e.stack ?? e.message) : String(e));

/** Whether two requests make the same computation (a stored item's maps may list their keys in another order). */
function computesAlike(a: JobRequest, b: JobRequest): boolean {
  return a.model === b.model && isDeepStrictEqual(a.stages, b.stages) && isDeepStrictEqual(a.spec, b.spec);
}

/** The input in hand, kept only if it is the output of the job's previous stage. */
function carriedInput(msg: StageMessage, request: JobRequest, input: Uint8Array | undefined) {
  return input && msg.after === previousStage(request.stages, msg.stage) ? { carried: input } : {};
}

export class StageWorker {
  private readonly log: Logger;

  constructor(private readonly o: WorkerOptions) {
    this.log = o.log ?? silent;
  }

  async handle(messages: readonly IncomingMessage[], hooks: HandleHooks = {}): Promise<BatchResult> {
    const retry: string[] = [];
    // Jobs whose next stage is the decode run it here, after their stage: no queue hop, and
    // their latents are in hand. A decode that fails returns the message it came with for retry
    // (its redelivery finds the stage's output and only decodes).
    const decodes: Work[] = [];
    const { todo, reads } = await this.prepareAll(messages, retry, decodes);
    await this.run(todo, decodes, retry, hooks);
    // The job reads beside the computation are all in (each failure already in `retry` or recorded).
    await Promise.all(reads);
    await this.flush();
    return { retry: [...new Set(retry)] };
  }

  private async run(todo: Work[], decodes: Work[], retry: string[], hooks: HandleHooks): Promise<void> {
    if (todo.length === 0 && decodes.length === 0) return;
    let cascade: Cascade;
    try {
      cascade = await this.o.cascade();
    } catch (e) {
      this.log('stage.error', { error: errorText(e), reason: 'cannot load the model' });
      retry.push(...[...todo, ...decodes].map((w) => w.message.id));
      return;
    }
    const context = this.runContext(hooks, decodes);
    // Each group's done records finish in the background while the next group (the decodes) runs.
    const tails: Promise<void>[] = [];
    for (const work of [todo, decodes]) {
      for (const group of groupByBatch(cascade, work.splice(0))) {
        try {
          const { tail } = await new StageRun(cascade, group, context).run();
          tails.push(tail.catch((e) => this.groupFailed(group, e, retry)));
        } catch (e) {
          await this.groupFailed(group, e, retry);
        }
      }
    }
    await Promise.all(tails);
  }

  /** What the batch's transitions started in the background: events enqueued, webhooks handed on. */
  private async flush(): Promise<void> {
    await Promise.all([this.o.jobs.flush(), this.o.webhooks?.flush()]);
  }

  /**
   * Parses and checks each message: the work that must run, in message order, duplicates
   * dropped; and the job reads still running beside it (`ready`), each duplicate's too.
   */
  private async prepareAll(
    messages: readonly IncomingMessage[],
    retry: string[],
    decodes: Work[],
  ): Promise<{ todo: Work[]; reads: Promise<unknown>[] }> {
    const receivedAt = Date.now();
    const prepared = await Promise.all(
      messages.map((message) =>
        this.orRetry(message, retry, () => this.prepare(message, receivedAt, decodes, retry)),
      ),
    );
    // The same job and stage twice in one batch (a duplicate delivery) runs once; both are acknowledged.
    const unique = new Map<string, Work>();
    for (const w of prepared) {
      if (!w) continue;
      const key = `${w.msg.jobId}|${w.msg.stage}`;
      if (!unique.has(key)) unique.set(key, w);
      else
        this.log('stage.skip', {
          jobId: w.msg.jobId,
          stage: w.msg.stage,
          messageId: w.message.id,
          reason: 'duplicate in batch',
        });
    }
    return { todo: [...unique.values()], reads: prepared.flatMap((w) => (w?.ready ? [w.ready] : [])) };
  }

  private runContext(hooks: HandleHooks, decodes: Work[]) {
    return {
      jobs: this.o.jobs,
      log: this.log,
      ...(this.o.webhooks && { webhooks: this.o.webhooks }),
      progressIntervalMs: this.o.progressIntervalMs ?? DEFAULTS.BATON_PROGRESS_MS,
      cancelCheckIntervalMs: this.o.cancelCheckIntervalMs ?? DEFAULTS.BATON_CANCEL_CHECK_MS,
      pricePerComputeSecond: this.o.pricePerComputeSecond ?? LAMBDA_3GB_PRICE_PER_SECOND,
      ...(hooks.betweenSteps && { betweenSteps: hooks.betweenSteps }),
      ...(this.o.onMetrics && { onMetrics: this.o.onMetrics }),
      handOn: (w: Work, output: Uint8Array, after?: HandOnAfter) =>
        this.handOn(w.msg, w, decodes, output, after),
    };
  }

  private async groupFailed(group: readonly Work[], e: unknown, retry: string[]) {
    if (isPermanent(e)) {
      for (const w of group) await this.failPermanently(w.message, e, w.msg);
      return;
    }
    const fields = { stage: group[0]!.msg.stage, jobIds: group.map((w) => w.msg.jobId) };
    // Transient: retried. Anything else is a bug: fail loudly, and let redelivery (then the
    // dead-letter queue) decide.
    if (isTransient(e)) this.log('stage.retry', { ...fields, error: String(e) });
    else this.log('stage.error', { ...fields, error: errorText(e) });
    retry.push(...group.map((w) => w.message.id));
  }

  /**
   * `f`'s result; null when it failed: a permanent failure is recorded on the job, a transient
   * one leaves the message for another delivery.
   */
  private async orRetry<T>(message: IncomingMessage, retry: string[], f: () => Promise<T | null>) {
    try {
      return await f();
    } catch (e) {
      if (isPermanent(e)) await this.failPermanently(message, e);
      else {
        this.log('stage.retry', { messageId: message.id, error: String(e) });
        retry.push(message.id);
      }
      return null;
    }
  }

  /**
   * Returns the work to do, or null when the message needs no computation. A message that
   * carries the job's request (and its input, if it names one) is computed at once: its job is
   * read beside the computation (`ready`), and only what the job still asks for is committed.
   */
  private async prepare(
    message: IncomingMessage,
    receivedAt: number,
    decodes: Work[],
    retry: string[],
  ): Promise<Work | null> {
    const msg = parseStageMessage(message.body);
    const input = msg.input ? Buffer.from(msg.input, 'base64') : undefined;
    if (msg.request && (!msg.after || input)) {
      const request: JobRequest = msg.request;
      const work: Work = { message, msg, request, receivedAt, ...carriedInput(msg, request, input) };
      work.ready = this.orRetry(message, retry, async () => {
        const stored = await this.admit(message, msg, receivedAt, await this.o.jobs.job(msg.jobId), decodes);
        if (stored && !computesAlike(request, stored)) {
          // Not what was accepted (a bug, or a forged message): nothing is committed; the sweep
          // re-enqueues the stage from the job as stored.
          this.log('stage.skip', { jobId: msg.jobId, stage: msg.stage, reason: 'carried request differs' });
          return null;
        }
        // The job as stored from here on (its webhook, which the message leaves out).
        if (stored) work.request = stored;
        return stored;
      });
      return work;
    }
    // One round trip: the job (its request and records, one read) and the input the message
    // carries or names (kept only if it is the job's previous stage).
    const [job, read] = await Promise.all([
      this.o.jobs.job(msg.jobId),
      input ?? (msg.after ? this.o.jobs.output(msg.jobId, msg.after) : null),
    ]);
    const request = await this.admit(message, msg, receivedAt, job, decodes);
    return request && { message, msg, request, receivedAt, ...carriedInput(msg, request, read ?? undefined) };
  }

  /**
   * The job's request when this stage is still to run; null when it need not (the job has ended,
   * or this stage is done: then only its hand-over is finished). Throws a PermanentError for a
   * job that does not exist or has no such stage.
   */
  private async admit(
    message: IncomingMessage,
    msg: StageMessage,
    receivedAt: number,
    job: { request: JobRequest; records: readonly { kind: string; stage: string }[] } | null,
    decodes: Work[],
  ): Promise<JobRequest | null> {
    const request = job?.request;
    const kinds = new Set(job?.records.map((r) => r.kind));
    const ctx = { jobId: msg.jobId, stage: msg.stage };
    if (!request) throw new PermanentError(`job ${msg.jobId} does not exist`, 'unknown_job', ctx);
    if (!request.stages.includes(msg.stage))
      throw new PermanentError(`job ${msg.jobId} has no stage "${msg.stage}"`, 'bad_message', ctx);
    const log = { ...ctx, messageId: message.id, correlationId: msg.correlationId };
    if (kinds.has('cancelled') || kinds.has('failed') || kinds.has('dead-letter')) {
      this.log('stage.skip', { ...log, reason: 'job finished' });
      return null;
    }
    if (job!.records.some((r) => r.kind === 'done' && r.stage === msg.stage)) {
      // A duplicate delivery, or a worker that died after its done record: finish the hand-over
      // only. (One that died between its output's put and its done record runs the stage again:
      // the same bytes, written again.)
      await this.handOn(msg, { message, msg, request, receivedAt }, decodes);
      this.log('stage.skip', { ...log, reason: 'stage done' });
      return null;
    }
    return request;
  }

  /**
   * The job's next stage. A decode after a stage computed here joins this batch's decodes (run
   * next, from the latents in hand); any other stage, or a decode after a stage done before, is enqueued.
   */
  private async handOn(
    msg: StageMessage,
    w: Work,
    decodes: Work[],
    output?: Uint8Array,
    after?: HandOnAfter,
  ) {
    const next = nextStage(w.request.stages, msg.stage);
    if (next === 'decode' && output) {
      // The message it came with (its id: a retry redelivers it), not its queue wait.
      const message = { id: w.message.id, body: w.message.body };
      const work = { message, msg: { ...msg, stage: next }, request: w.request, receivedAt: Date.now() };
      decodes.push({ ...work, carried: output, ...(after && { prior: after.recorded }) });
    } else if (next) {
      const message = handOnMessage(msg, next, output);
      // A message that does not carry the output names it: sent once it is stored.
      if (!message.input) await after?.stored;
      await this.o.enqueue(message);
    } else await this.o.jobs.succeed(w.request);
  }

  /**
   * Records a permanent failure on the job the message names, if it is a well-formed
   * message about an existing job that has that stage; a malformed or foreign message
   * is only logged (it must never fail someone else's job).
   */
  private async failPermanently(message: IncomingMessage, e: Error, known?: StageMessage) {
    const code = errorCode(e);
    let msg = known;
    if (!msg) {
      try {
        msg = parseStageMessage(message.body);
      } catch {
        msg = undefined;
      }
    }
    this.log('stage.failed', {
      messageId: message.id,
      jobId: msg?.jobId,
      stage: msg?.stage,
      code,
      reason: e.message,
    });
    if (!msg || code === 'bad_message') return;
    const request = await this.o.jobs.request(msg.jobId);
    if (!request) return;
    await this.o.jobs.fail(request, 'failed', msg.stage, { reason: e.message, code, messageId: message.id });
  }
}

/** Jobs of the same stage and batch key share one model call, in message order. */
function groupByBatch(cascade: Cascade, todo: readonly Work[]): Work[][] {
  const groups = new Map<string, Work[]>();
  for (const w of todo) {
    const key = cascade.batchKey(w.msg.stage, w.request.spec);
    groups.set(key, [...(groups.get(key) ?? []), w]);
  }
  return [...groups.values()];
}
