/**
 * A stage worker: takes a batch of stage messages, runs what must run as batched model
 * calls, stores outputs, then enqueues the next stage. The same code serves the local
 * stack's worker processes, the Lambda handlers and the GPU container poller.
 *
 * Delivery is at least once: a stage whose output exists is not computed again; a
 * permanent failure marks the job failed and is not retried; a transient one is
 * returned for retry (and reaches the dead-letter queue after maxReceiveCount).
 */
import { isTransient } from '@baton/aws';
import type { Tensor } from '@baton/diffusion';
import type { Cascade } from '@baton/pipeline';
import { BadRequestError, CancelledError, type JobSpec } from '@baton/pipeline/spec';
import { readLatents, SafetensorsError, writeLatents } from '@baton/safetensors';
import { encodePng } from '@baton/shapes';
import type { Enqueue, JobStore, StageMessage } from './job-store.ts';
import { type Logger, silent } from './logger.ts';
import { LAMBDA_3GB_PRICE_PER_SECOND } from './metrics.ts';
import { type JobRequest, keys, nextStage, previousStage, type UsageRecord, usageDay } from './records.ts';
import type { WebhookSender } from './webhooks.ts';

export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  constructor(
    message: string,
    readonly code = 'permanent',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface IncomingMessage {
  id: string;
  body: string;
  receiveCount?: number;
  /** When the message was sent (ms), for the queue-wait metric. */
  sentAt?: number;
}

export interface BatchResult {
  /** Message ids to leave on the queue for another delivery (transient failures). */
  retry: string[];
}

export interface StageMetrics {
  stage: string;
  ms: number;
  steps: number;
  batch: number;
  queueWaitMs: number;
  onnxMs: number;
  jobIds: string[];
}

export interface WorkerOptions {
  jobs: JobStore;
  cascade: () => Promise<Cascade>;
  enqueue: Enqueue;
  log?: Logger;
  /** Between sampling steps: visibility heartbeats, deadline checks (throw to stop). */
  betweenSteps?: () => void | Promise<void>;
  progressIntervalMs?: number;
  cancelCheckIntervalMs?: number;
  onMetrics?: (m: StageMetrics) => void;
  /** Price of one compute-second, for usage records (USD). */
  pricePerComputeSecond?: number;
  webhooks?: WebhookSender;
}

interface Work {
  message: IncomingMessage;
  msg: StageMessage;
  request: JobRequest;
}

export function isPermanent(e: unknown): boolean {
  return (
    e instanceof PermanentError ||
    e instanceof BadRequestError ||
    e instanceof SafetensorsError ||
    // The model runtime's errors, by name: this module must not load the runtime (the API imports it).
    (e instanceof Error && (e.name === 'ManifestError' || e.name === 'FeedError'))
  );
}

export function parseMessage(body: string): StageMessage {
  let m: unknown;
  try {
    m = JSON.parse(body);
  } catch (cause) {
    throw new PermanentError('message body is not JSON', 'bad_message', { cause });
  }
  const o = m as Partial<StageMessage>;
  if (
    o?.v !== 1 ||
    typeof o.jobId !== 'string' ||
    typeof o.stage !== 'string' ||
    typeof o.correlationId !== 'string'
  ) {
    throw new PermanentError(
      'message is not a v1 stage message {v, jobId, stage, correlationId}',
      'bad_message',
    );
  }
  return o as StageMessage;
}

export class StageWorker {
  private readonly log: Logger;

  constructor(private readonly o: WorkerOptions) {
    this.log = o.log ?? silent;
  }

  async handle(
    messages: readonly IncomingMessage[],
    hooks: { betweenSteps?: () => void | Promise<void> } = {},
  ): Promise<BatchResult> {
    const retry: string[] = [];
    const todo: Work[] = [];
    await Promise.all(
      messages.map(async (message) => {
        try {
          const w = await this.prepare(message);
          if (w) todo.push(w);
        } catch (e) {
          if (isPermanent(e)) await this.failPermanently(message, e as Error);
          else {
            this.log('stage.retry', { messageId: message.id, error: String(e) });
            retry.push(message.id);
          }
        }
      }),
    );
    // Keep the batch in message order (the batch composition must not depend on timing).
    todo.sort((a, b) => messages.indexOf(a.message) - messages.indexOf(b.message));
    // The same job and stage twice in one batch (a duplicate delivery) runs once; both are acknowledged.
    const unique = new Map<string, Work>();
    for (const w of todo) {
      const key = `${w.msg.jobId}|${w.msg.stage}`;
      if (unique.has(key))
        this.log('stage.skip', {
          jobId: w.msg.jobId,
          stage: w.msg.stage,
          messageId: w.message.id,
          reason: 'duplicate in batch',
        });
      else unique.set(key, w);
    }
    let cascade: Cascade | undefined;
    try {
      cascade = unique.size ? await this.o.cascade() : undefined;
    } catch (e) {
      this.log('stage.error', {
        error: e instanceof Error ? (e.stack ?? e.message) : String(e),
        reason: 'cannot load the model',
      });
      return { retry: [...retry, ...todo.map((w) => w.message.id)] };
    }
    const groups = new Map<string, Work[]>();
    for (const w of unique.values()) {
      const key = `${w.msg.stage}|${cascade!.batchKey(w.msg.stage.replace(/\d+$/, ''), w.request.spec)}`;
      groups.set(key, [...(groups.get(key) ?? []), w]);
    }
    for (const group of groups.values()) {
      try {
        await this.run(cascade!, group, hooks.betweenSteps);
      } catch (e) {
        if (isPermanent(e)) {
          for (const w of group) await this.failPermanently(w.message, e as Error, w.msg);
        } else if (isTransient(e)) {
          this.log('stage.retry', {
            stage: group[0]!.msg.stage,
            jobIds: group.map((w) => w.msg.jobId),
            error: String(e),
          });
          retry.push(...group.map((w) => w.message.id));
        } else {
          // A bug: fail loudly, and let redelivery (then the dead-letter queue) decide.
          this.log('stage.error', {
            stage: group[0]!.msg.stage,
            jobIds: group.map((w) => w.msg.jobId),
            error: e instanceof Error ? (e.stack ?? e.message) : String(e),
          });
          retry.push(...group.map((w) => w.message.id));
        }
      }
    }
    await this.o.webhooks?.flush();
    return { retry };
  }

  /** Returns the work to do, or null when the message needs no computation. */
  private async prepare(message: IncomingMessage): Promise<Work | null> {
    const msg = parseMessage(message.body);
    const jobs = this.o.jobs;
    // One round trip: the request, the records' kinds and the output, read together.
    const [request, kinds, outputExists] = await Promise.all([
      jobs.request(msg.jobId),
      jobs.kinds(msg.jobId),
      jobs.store.exists(keys.output(msg.jobId, msg.stage)),
    ]);
    if (!request) throw new PermanentError(`job ${msg.jobId} does not exist`, 'unknown_job');
    if (!request.stages.includes(msg.stage)) {
      throw new PermanentError(`job ${msg.jobId} has no stage "${msg.stage}"`, 'bad_message');
    }
    const ctx = {
      jobId: msg.jobId,
      stage: msg.stage,
      messageId: message.id,
      correlationId: msg.correlationId,
    };
    if (kinds.has('cancelled') || kinds.has('failed') || kinds.has('dead-letter')) {
      this.log('stage.skip', { ...ctx, reason: 'job finished' });
      return null;
    }
    if (outputExists) {
      // A duplicate delivery, or a worker that died after writing: finish the hand-over only.
      const records = await jobs.records(msg.jobId);
      if (!records.some((r) => r.kind === 'done' && r.stage === msg.stage)) {
        await jobs.append(msg.jobId, 'done', msg.stage, { reused: true, messageId: message.id });
      }
      await this.handOn(msg, request);
      this.log('stage.skip', { ...ctx, reason: 'output exists' });
      return null;
    }
    return { message, msg, request };
  }

  private async handOn(msg: StageMessage, request: JobRequest) {
    const next = nextStage(request.stages, msg.stage);
    if (next) await this.o.enqueue({ ...msg, stage: next });
    else {
      await this.o.jobs.finished(request);
      this.o.webhooks?.send(request, 'completed', { status: 'succeeded' });
    }
  }

  /** Bills one stage of one job, exactly once: the keys are deterministic, so a rerun overwrites. */
  private async bill(
    w: Work,
    stage: string,
    computeMs: number,
    steps: number,
    batch: number,
    complete: boolean,
  ) {
    const m = (await this.o.cascade()).manifest;
    const side =
      stage === 'base'
        ? m.base.resolution
        : stage === 'decode'
          ? w.request.spec.size
          : m.base.resolution * 2 ** Number(stage.slice(5));
    const at = Date.now();
    const record: UsageRecord = {
      jobId: w.msg.jobId,
      owner: w.request.owner ?? 'local',
      stage,
      // The job's day, not the run's: a stage run again after midnight overwrites, never adds.
      day: usageDay(w.request.createdAt),
      computeMs: Math.round(computeMs / batch),
      steps,
      pixels: side * side,
      batch,
      costUsd: (computeMs / batch / 1000) * (this.o.pricePerComputeSecond ?? LAMBDA_3GB_PRICE_PER_SECOND),
      complete,
      at,
    };
    await this.o.jobs.store.put(
      keys.ledger(record.owner, record.day, record.jobId, stage),
      JSON.stringify(record),
      'application/json',
    );
  }

  private async failPermanently(message: IncomingMessage, e: Error, msg?: StageMessage) {
    const code = e instanceof PermanentError ? e.code : e.name;
    this.log('stage.failed', {
      messageId: message.id,
      jobId: msg?.jobId,
      stage: msg?.stage,
      code,
      reason: e.message,
    });
    let m = msg;
    if (!m) {
      try {
        m = parseMessage(message.body);
      } catch {
        return; // Not our message shape: nothing to mark.
      }
    }
    const request = await this.o.jobs.request(m.jobId);
    if (request) {
      await this.o.jobs.append(m.jobId, 'failed', m.stage, {
        reason: e.message,
        code,
        messageId: message.id,
      });
      await this.o.jobs.finished(request);
      this.o.webhooks?.send(request, 'failed', {
        status: 'failed',
        stage: m.stage,
        error: { reason: e.message, code },
      });
    }
  }

  private async run(cascade: Cascade, group: Work[], betweenSteps?: () => void | Promise<void>) {
    const jobs = this.o.jobs;
    const stage = group[0]!.msg.stage;
    const specs: JobSpec[] = group.map((w) => w.request.spec);
    const model = cascade.manifest.id;
    for (const w of group) {
      if (w.request.model !== model) {
        throw new PermanentError(
          `job ${w.msg.jobId} was made for model ${w.request.model}, this worker runs ${model}`,
          'model_mismatch',
        );
      }
    }
    const t0 = Date.now();
    const onnx0 = cascade.family.stats.runMs;
    for (const w of group) {
      if (stage === w.request.stages[0])
        this.o.webhooks?.send(w.request, 'started', { status: 'running', stage });
    }
    const [, inputs] = await Promise.all([
      Promise.all(group.map((w) => jobs.append(w.msg.jobId, 'started', stage, { messageId: w.message.id }))),
      Promise.all(group.map((w) => this.input(w, model))),
    ]);

    // Between steps: progress and cancellation (throttled, and never waited for: the sampling
    // loop does not stop for a storage round trip), heartbeats and deadlines.
    const cancelled = new Set<string>();
    let stepsDone = 0;
    const billedPartial = new Set<string>();
    let lastProgress = 0;
    let lastCancelCheck = Date.now();
    let progressWrite: Promise<void> | undefined;
    let cancelCheck: Promise<void> | undefined;
    const background = (what: string, p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e) => this.log('stage.background_error', { stage, what, error: String(e) }),
      );
    const onStep = async (step: number, of: number) => {
      stepsDone = step;
      const now = Date.now();
      if (!progressWrite && now - lastProgress >= (this.o.progressIntervalMs ?? 250)) {
        lastProgress = now;
        progressWrite = background(
          'progress',
          Promise.all(group.map((w) => jobs.setProgress(w.msg.jobId, stage, step, of))),
        ).finally(() => {
          progressWrite = undefined;
        });
        for (const w of group)
          this.o.webhooks?.send(
            w.request,
            'progress',
            { status: 'running', stage, step, of },
            `_${stage}_${step}`,
          );
      }
      if (!cancelCheck && now - lastCancelCheck >= (this.o.cancelCheckIntervalMs ?? 500)) {
        lastCancelCheck = now;
        cancelCheck = background(
          'cancel-check',
          Promise.all(
            group.map(async (w) => {
              if ((await jobs.kinds(w.msg.jobId)).has('cancelled')) cancelled.add(w.msg.jobId);
            }),
          ),
        ).finally(() => {
          cancelCheck = undefined;
        });
      }
      if (cancelled.size === group.length) throw new CancelledError(`all ${group.length} jobs cancelled`);
      // A cancelled job in a shared batch rides along to the end, but is billed only to here.
      for (const w of group) {
        if (cancelled.has(w.msg.jobId) && !billedPartial.has(w.msg.jobId)) {
          billedPartial.add(w.msg.jobId);
          await this.bill(w, stage, Date.now() - t0, step, group.length, false);
        }
      }
      await this.o.betweenSteps?.();
      await betweenSteps?.();
    };
    // Nothing is left in flight when the stage returns (a Lambda may freeze right after).
    const settle = () => Promise.all([progressWrite, cancelCheck]);

    let outputs: Uint8Array[];
    let steps = 1;
    try {
      if (stage === 'base') {
        steps = specs[0]!.stepsBase;
        const z = await cascade.base(specs, { onStep });
        outputs = z.map((t, i) => latentsFile(t, group[i]!, model));
      } else if (stage.startsWith('relay')) {
        steps = specs[0]!.stepsRelay;
        const k = Number(stage.slice('relay'.length));
        const z = await cascade.relay(specs, inputs as Tensor[], k, { onStep });
        outputs = z.map((t, i) => latentsFile(t, group[i]!, model));
      } else if (stage === 'decode') {
        await onStep(0, 1);
        const images = await cascade.decode(inputs as Tensor[]);
        await onStep(1, 1);
        outputs = images.map((img) => encodePng(img));
      } else {
        throw new PermanentError(`unknown stage "${stage}"`, 'bad_message');
      }
    } catch (e) {
      await settle();
      if (e instanceof CancelledError) {
        this.log('stage.cancelled', { stage, jobIds: group.map((w) => w.msg.jobId), step: stepsDone });
        const elapsed = Date.now() - t0;
        await Promise.all(
          group
            .filter((w) => !billedPartial.has(w.msg.jobId))
            .map((w) => this.bill(w, stage, elapsed, stepsDone, group.length, false)),
        );
        return;
      }
      throw e;
    }
    await settle();
    const ms = Date.now() - t0;
    const onnxMs = Math.round((cascade.family.stats.runMs - onnx0) * 10) / 10;
    // Usage, then the output; then the done record and the next stage's message (both after the output).
    await Promise.all(
      group.map(async (w, i) => {
        // Cancelled while this stage ran (seen between steps, or by the last stage's final
        // look: a cancelled job gets no image): no output, and the steps that ran are billed.
        if (
          cancelled.has(w.msg.jobId) ||
          (!nextStage(w.request.stages, stage) && (await jobs.kinds(w.msg.jobId)).has('cancelled'))
        ) {
          if (!billedPartial.has(w.msg.jobId)) await this.bill(w, stage, ms, steps, group.length, true);
          this.log('stage.cancelled', { stage, jobIds: [w.msg.jobId], step: steps });
          return;
        }
        const queueWaitMs = w.message.sentAt ? Math.max(0, t0 - w.message.sentAt) : 0;
        const type = stage === 'decode' ? 'image/png' : 'application/octet-stream';
        // Usage first: a crash after it reruns the stage, which overwrites the same usage keys.
        await this.bill(w, stage, ms, steps, group.length, true);
        await jobs.store.put(keys.output(w.msg.jobId, stage), outputs[i]!, type);
        await Promise.all([
          jobs.append(w.msg.jobId, 'done', stage, {
            ms,
            steps,
            batch: group.length,
            queueWaitMs,
            onnxMs,
            messageId: w.message.id,
          }),
          this.handOn(w.msg, w.request),
        ]);
        this.log('stage.done', {
          jobId: w.msg.jobId,
          stage,
          messageId: w.message.id,
          correlationId: w.msg.correlationId,
          ms,
          onnxMs,
          steps,
          batch: group.length,
          queueWaitMs,
        });
      }),
    );
    this.o.onMetrics?.({
      stage,
      ms,
      onnxMs,
      steps,
      batch: group.length,
      queueWaitMs: Math.max(0, ...group.map((w) => (w.message.sentAt ? t0 - w.message.sentAt : 0))),
      jobIds: group.map((w) => w.msg.jobId),
    });
  }

  private async input(w: Work, model: string): Promise<Tensor | null> {
    const prev = previousStage(w.request.stages, w.msg.stage);
    if (!prev) return null;
    const bytes = await this.o.jobs.store.get(keys.output(w.msg.jobId, prev));
    if (!bytes)
      throw new PermanentError(
        `job ${w.msg.jobId}: input of stage ${w.msg.stage} (${prev}) is missing`,
        'missing_input',
      );
    const l = readLatents(bytes);
    if (l.meta.model !== model) {
      throw new PermanentError(
        `job ${w.msg.jobId}: ${prev} latents come from model ${l.meta.model}, not ${model}`,
        'model_mismatch',
      );
    }
    if (l.meta.job !== w.msg.jobId) {
      throw new PermanentError(
        `job ${w.msg.jobId}: ${prev} latents belong to job ${l.meta.job}`,
        'bad_input',
      );
    }
    return { data: l.data, shape: l.shape };
  }
}

function latentsFile(t: Tensor, w: Work, model: string): Uint8Array {
  return writeLatents({
    data: t.data,
    shape: [...t.shape],
    meta: { job: w.msg.jobId, stage: w.msg.stage, seed: w.request.spec.seed, model },
  });
}
