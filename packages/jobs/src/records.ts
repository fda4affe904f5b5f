/**
 * A job's records, and its state derived from them.
 *
 * A job's records are only ever appended (started | done | failed | cancelled | requeued |
 * dead-letter), so there is no read-modify-write race: the state is a pure function of the
 * records present. Where they are kept is job-item.ts's; the bytes (latents, previews, the
 * image) are objects under `keys`.
 */
import { randomBytes } from 'node:crypto';
import type { JobSpec, Scored } from '@baton/pipeline/spec';
import type { DeliveryRecord, WebhookSpec } from './webhook.ts';

export type RecordKind = 'started' | 'done' | 'failed' | 'cancelled' | 'requeued' | 'dead-letter';
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';

export interface JobRequest {
  id: string;
  spec: JobSpec;
  stages: string[];
  model: string;
  createdAt: number;
  correlationId: string;
  /** Who may see the job (an API key's id); absent for CLI/local jobs. */
  owner?: string;
  webhook?: WebhookSpec;
  /** A batch line's job: which batch and line, its custom_id, how its image is to be returned. */
  batch?: {
    id: string;
    line: number;
    custom_id: string;
    response_format?: 'url' | 'b64_json';
    /** The line's output_format and output_compression (png when absent). */
    output_format?: 'png' | 'jpeg' | 'webp';
    output_compression?: number;
  };
  /** A continued job: its first stage starts from this job's latents of this stage (continue.ts in @baton/service). */
  continued?: { from: string; stage: string };
  /** An upscale: its first relay starts from the caller's image (keys.input), in place of `stage`'s output. */
  upscale?: { stage: string };
}

export interface StageRecord {
  kind: RecordKind;
  stage: string;
  at: number;
  /** done: compute time, steps, batch size, time spent waiting in the queue. */
  ms?: number;
  steps?: number;
  batch?: number;
  queueWaitMs?: number;
  /** Time inside the ONNX runtime's run() for the whole batch. */
  onnxMs?: number;
  /** done: where the stage's time went, hop by hop (the bench's trace). */
  trace?: StageTrace;
  /** done, at a best_of job's scoring stage: each candidate's seeds and score, and the kept one. */
  scored?: Scored;
  reason?: string;
  code?: string;
  messageId?: string;
}

/**
 * One stage of one job, hop by hop: the worker took its message at `receivedAt` (its queue wait
 * is `queueWaitMs` before), loaded the job and its input, ran the batched model call, and stored
 * what it made (usage, output) before its done record.
 */
export interface StageTrace {
  receivedAt: number;
  loadMs: number;
  runMs: number;
  storeMs: number;
}

/** What one stage of one job used: its share of a batched call, priced. */
export interface UsageRecord {
  jobId: string;
  owner: string;
  stage: string;
  day: string;
  computeMs: number;
  steps: number;
  pixels: number;
  batch: number;
  costUsd: number;
  /** false when the stage stopped early (cancelled): only the steps that ran are billed. */
  complete: boolean;
  at: number;
}

export interface StageState {
  name: string;
  status: 'pending' | 'running' | 'done';
  step?: number;
  of?: number;
  ms?: number;
  batch?: number;
  queueWaitMs?: number;
  onnxMs?: number;
  startedAt?: number;
  finishedAt?: number;
}

export interface JobState {
  id: string;
  status: JobStatus;
  request: JobRequest;
  stages: StageState[];
  /** The running (or next) stage, absent when finished. */
  stage?: string;
  error?: { stage: string; reason: string; code?: string };
  createdAt: number;
  finishedAt?: number;
  /** What the job used so far, one record per stage that ran (billed once each). */
  usage: UsageRecord[];
  /** Webhook delivery attempts, oldest first. */
  deliveries: DeliveryRecord[];
  /** The partial images written so far, in order (previews.ts in the pipeline). */
  previews?: { index: number; label: string }[];
  /** best_of: each candidate's seeds and score, and the kept one (once its scoring stage is done). */
  scored?: Scored;
}

export const TERMINAL: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];

/** Object keys in the bucket: bytes only (state is in the table: job-store.ts). */
export const keys = {
  /** Partial images: index in the job's sequence, and where each came from ("base", "relay1@5"). */
  preview: (id: string, index: number, label: string) => `jobs/${id}/previews/${index}-${label}.png`,
  /** An upscale's input: the caller's image, resized to the stage side its first relay takes. */
  input: (id: string) => `jobs/${id}/input.png`,
  output: (id: string, stage: string) =>
    stage === 'decode' ? `images/${id}.png` : `latents/${id}/${stage}.safetensors`,
};

/** The day a job's usage is booked to: the day it was accepted (UTC), whenever its stages run. */
export function usageDay(createdAt: number): string {
  return new Date(createdAt).toISOString().slice(0, 10);
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

export function newJobId(): string {
  const bytes = randomBytes(16);
  return `job_${Array.from(bytes, (b) => ID_ALPHABET[b & 31]).join('')}`;
}

export function isJobId(id: string): boolean {
  return /^job_[a-z2-7]{16}$/.test(id);
}

/** The stage that reads this stage's output. */
export function nextStage(stages: readonly string[], stage: string): string | undefined {
  const i = stages.indexOf(stage);
  return i >= 0 ? stages[i + 1] : undefined;
}

/** The stage a stage reads its input from (undefined for base). */
export function previousStage(stages: readonly string[], stage: string): string | undefined {
  const i = stages.indexOf(stage);
  return i > 0 ? stages[i - 1] : undefined;
}

const ENDING_KINDS: ReadonlySet<RecordKind> = new Set(['cancelled', 'failed', 'dead-letter']);

/** Whether these records end the job: the same rule as deriveState's. */
export function hasEnded(request: JobRequest, records: readonly StageRecord[]): boolean {
  const last = request.stages[request.stages.length - 1];
  return records.some((r) => ENDING_KINDS.has(r.kind) || (r.kind === 'done' && r.stage === last));
}

/**
 * How long jobs of a kind took here (ms): a quick one (the tenth percentile of the recent ones)
 * and a slow one (the ninetieth, at most twice their median: one job that waited in a queue must
 * not make every later one be looked at often for that long).
 */
export interface Expected {
  soonestMs: number;
  latestMs: number;
}

/** How many looks a waiter spends at most between a forecast's quick and slow ends. */
const LOOKS_IN_SPREAD = 10;

/**
 * When a waiter should look at an unfinished job again (ms from now). With `expected` (how
 * long jobs of its kind took, EndForecast): not before a quick one would have ended, then every
 * tenth of the spread up to a slow one (every `min` ms when jobs of the kind take about the same
 * time: it is seen within `min` ms of its end; a few looks where they vary, as under load).
 * Without one, or past it (a queue, a slow stage): a tenth of the job's age (a job is seen ended
 * within about a tenth of its time, and a long one costs few reads), then, once its last
 * diffusion stage runs, a tenth of that stage's age. Every `min` ms once that stage is done (the
 * decode after it takes tens of ms).
 */
export function nextLookMs(
  request: JobRequest,
  records: readonly StageRecord[],
  now: number,
  bounds: { min: number; max: number },
  expected?: Expected,
): number {
  const clamp = (ms: number, hi: number) => Math.max(bounds.min, Math.min(hi, ms));
  const final = request.stages.filter((s) => s !== 'decode').at(-1);
  const of = (kind: RecordKind) => records.find((r) => r.kind === kind && r.stage === final);
  if (of('done')) return bounds.min;
  const age = now - request.createdAt;
  if (expected && age < expected.soonestMs) return clamp(expected.soonestMs - age, bounds.max);
  if (expected && age < expected.latestMs)
    return clamp((expected.latestMs - expected.soonestMs) / LOOKS_IN_SPREAD, bounds.max);
  const early = clamp(age / 10, bounds.max);
  const started = of('started');
  return started ? clamp((now - started.at) / 10, early) : early;
}

export function deriveState(
  request: JobRequest,
  records: readonly StageRecord[],
  progress: Readonly<Record<string, { step: number; of: number }>> = {},
  usage: UsageRecord[] = [],
  deliveries: DeliveryRecord[] = [],
): JobState {
  const sorted = [...records].sort((a, b) => a.at - b.at);
  const stages: StageState[] = request.stages.map((name) => {
    const done = sorted.find((r) => r.kind === 'done' && r.stage === name);
    const started = sorted.find((r) => r.kind === 'started' && r.stage === name);
    const p = progress[name];
    if (done) {
      return {
        name,
        status: 'done',
        ms: done.ms,
        batch: done.batch,
        queueWaitMs: done.queueWaitMs,
        onnxMs: done.onnxMs,
        step: done.steps,
        of: done.steps,
        startedAt: started?.at,
        finishedAt: done.at,
      };
    }
    if (started)
      return { name, status: 'running', startedAt: started.at, ...(p && { step: p.step, of: p.of }) };
    return { name, status: 'pending' };
  });
  const scored = sorted.find((r) => r.kind === 'done' && r.scored)?.scored;
  const cancelled = sorted.find((r) => r.kind === 'cancelled');
  const failed = sorted.find((r) => r.kind === 'failed' || r.kind === 'dead-letter');
  const allDone = stages.every((s) => s.status === 'done');
  const current = stages.find((s) => s.status !== 'done');
  let status: JobStatus;
  let finishedAt: number | undefined;
  // A cancel record is written only when the API saw the job unfinished, and the API has
  // answered "canceled": that answer stands, even if the last stage's done record (timestamped
  // earlier, still in flight) lands afterwards. A failure recorded before the cancel wins.
  const finalDone = allDone ? stages[stages.length - 1]!.finishedAt! : Number.POSITIVE_INFINITY;
  if (failed && failed.at <= Math.min(finalDone, cancelled?.at ?? Infinity)) {
    status = 'failed';
    finishedAt = failed.at;
  } else if (cancelled) {
    status = 'canceled';
    finishedAt = cancelled.at;
  } else if (allDone) {
    status = 'succeeded';
    finishedAt = finalDone;
  } else {
    status = stages.some((s) => s.status !== 'pending') ? 'running' : 'queued';
  }
  return {
    id: request.id,
    status,
    request,
    stages,
    ...(!TERMINAL.includes(status) && current && { stage: current.name }),
    ...(status === 'failed' &&
      failed && {
        error: {
          stage: failed.stage,
          reason: failed.reason ?? 'failed',
          ...(failed.code && { code: failed.code }),
        },
      }),
    createdAt: request.createdAt,
    ...(finishedAt !== undefined && { finishedAt }),
    usage,
    deliveries: [...deliveries].sort((a, b) => a.at - b.at),
    ...(scored && { scored }),
  };
}
