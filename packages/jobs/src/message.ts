/** The stage message: what a stage queue carries, and its parser (the only place that reads one). */
import { parseStage } from '@baton/pipeline/spec';
import { PermanentError } from './errors.ts';
import { isJobId } from './records.ts';

export interface StageMessage {
  v: 1;
  jobId: string;
  stage: string;
  correlationId: string;
  /** A batch line's message goes to its stage's batch lane (read only when the stage queue is empty). */
  lane?: 'batch';
}

/** The lane of a job's stage messages: a batch line's, or the interactive default. */
export const laneOf = (r: { batch?: unknown }): Pick<StageMessage, 'lane'> =>
  r.batch ? { lane: 'batch' } : {};

/** Sends a stage message to that stage's queue. */
export type Enqueue = (msg: StageMessage) => Promise<void>;

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
  };
}
