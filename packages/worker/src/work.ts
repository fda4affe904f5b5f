/** One message's work, as the worker passes it between its steps. */
import type { JobRequest, StageMessage } from '@baton/jobs';

export interface IncomingMessage {
  id: string;
  body: string;
  receiveCount?: number;
  /** When the message was sent (ms), for the queue-wait metric. */
  sentAt?: number;
}

export interface Work {
  message: IncomingMessage;
  msg: StageMessage;
  /** The job's request: as the message carried it until `ready` has read the job, then as stored. */
  request: JobRequest;
  /**
   * When the message carried the job's request: the job, read beside the computation. Its
   * request (which then replaces `request`) when this stage is still to be committed; null when
   * not (the job has ended, the stage is done, the job is unknown: each handled as when the job
   * is read first). Never rejects. Absent: the job was read before the work began.
   */
  ready?: Promise<JobRequest | null>;
  /** When this worker took the message (ms): the queue wait ends, loading the job and input begins. */
  receivedAt: number;
  /**
   * The stage's input in hand (its latents file): as the previous stage left it in this process,
   * or as read beside the job (the message's `after`). Not read again.
   */
  carried?: Uint8Array;
  /** The previous stage's done record, when that stage ran in this process: this stage's follows it. */
  prior?: Promise<unknown>;
}

/** A job's request once it is known to be committed; null when nothing is (Work.ready). */
export const admitted = (w: Work): Promise<JobRequest | null> => w.ready ?? Promise.resolve(w.request);
