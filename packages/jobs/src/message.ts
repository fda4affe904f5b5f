/** The stage message: what a stage queue carries, and its parser (the only place that reads one). */
import { parseStage } from '@baton/pipeline/spec';
import { PermanentError } from './errors.ts';
import { isJobId, type JobRequest } from './records.ts';

export interface StageMessage {
  v: 1;
  jobId: string;
  stage: string;
  correlationId: string;
  /** A batch line's message goes to its stage's batch lane (read only when the stage queue is empty). */
  lane?: 'batch';
  /**
   * Whose work it is (the job's owner, or "local"): the message's MessageGroupId, so SQS fair
   * queues (and the local poller's look-ahead) give each tenant its turn.
   */
  tenant?: string;
  /**
   * The stage whose output this stage reads (the job's previous stage), set on a hand-on: the
   * worker reads it beside the job, not after. A hint only: checked against the job's stages.
   */
  after?: string;
  /**
   * That output itself (base64), when it is small (CARRY_MAX_BYTES): the next stage starts
   * without reading it, and the hand-on need not wait for its put. It is still stored (continue,
   * redelivery); the receiver checks whose latents they are.
   */
  input?: string;
  /**
   * The job's request as accepted (it never changes), without its webhook (no secret rides on a
   * queue): the worker starts computing at once and reads the job beside the computation, not
   * before it; it commits only what the job, as read, still asks for. Absent (an older
   * message): the job is read first.
   */
  request?: CarriedRequest;
}

/** A request as a stage message carries it. */
export type CarriedRequest = Omit<JobRequest, 'webhook'>;

/** The request a job's stage messages carry. */
export function carriedRequest(r: JobRequest): CarriedRequest {
  const { webhook: _, ...rest } = r;
  return rest;
}

/** The largest output a hand-on carries (bytes; base64 makes it a third larger, within SQS's 256 KB). */
export const CARRY_MAX_BYTES = 96 * 1024;

/** A hand-on to `next`: the stage it follows, and that stage's output when it is small enough to carry. */
export function handOnMessage(msg: StageMessage, next: string, output?: Uint8Array): StageMessage {
  const { input: _, ...rest } = msg;
  const carry = output && output.byteLength <= CARRY_MAX_BYTES;
  return {
    ...rest,
    stage: next,
    after: msg.stage,
    ...(carry && {
      input: Buffer.from(output.buffer, output.byteOffset, output.byteLength).toString('base64'),
    }),
  };
}

/** The lane of a job's stage messages: a batch line's, or the interactive default. */
export const laneOf = (r: { batch?: unknown }): Pick<StageMessage, 'lane'> =>
  r.batch ? { lane: 'batch' } : {};

/** The tenant of a job's stage messages. */
export const tenantOf = (r: { owner?: string }): string => r.owner ?? 'local';

/** The fields a job's stage messages carry beyond the stage: lane and tenant. */
export const routeOf = (r: { batch?: unknown; owner?: string }): Pick<StageMessage, 'lane' | 'tenant'> => ({
  ...laneOf(r),
  tenant: tenantOf(r),
});

/** Sends a stage message to that stage's queue. */
export type Enqueue = (msg: StageMessage) => Promise<void>;

/** What SQS takes as a MessageGroupId: 1…128 printable ASCII characters. */
const TENANT = /^[!-~]{1,128}$/;

/** A queue message body's tenant (the poller's fair turns), without parsing the rest. */
export function tenantOfBody(body: string): string | undefined {
  try {
    const t = (JSON.parse(body) as { tenant?: unknown })?.tenant;
    return typeof t === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}

function isStage(name: string): boolean {
  try {
    parseStage(name);
    return true;
  } catch {
    return false;
  }
}

/** A carried request that names the message's job and has what a stage computes from; else none (the job is read first). */
function carriedOf(o: unknown, jobId: string): CarriedRequest | undefined {
  const r = o as Partial<CarriedRequest> | undefined;
  const ok =
    typeof r === 'object' &&
    r !== null &&
    r.id === jobId &&
    typeof r.model === 'string' &&
    typeof r.spec === 'object' &&
    r.spec !== null &&
    Array.isArray(r.stages) &&
    r.stages.every((s) => typeof s === 'string');
  return ok ? (r as CarriedRequest) : undefined;
}

/** A queue message body → a StageMessage, or a PermanentError saying what is wrong with it. */
export function parseStageMessage(body: string): StageMessage {
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
  if (!isJobId(o.jobId)) throw new PermanentError('message names no valid job id', 'bad_message');
  const request = carriedOf(o.request, o.jobId);
  try {
    parseStage(o.stage);
  } catch (cause) {
    throw new PermanentError(`message names no valid stage`, 'bad_message', { cause, jobId: o.jobId });
  }
  return {
    v: 1,
    jobId: o.jobId,
    stage: o.stage,
    correlationId: o.correlationId,
    ...(o.lane === 'batch' && { lane: 'batch' as const }),
    ...(typeof o.tenant === 'string' && TENANT.test(o.tenant) && { tenant: o.tenant }),
    ...(typeof o.after === 'string' &&
      isStage(o.after) && {
        after: o.after,
        ...(typeof o.input === 'string' && { input: o.input }),
      }),
    ...(request && { request }),
  };
}
