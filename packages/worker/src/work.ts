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
  request: JobRequest;
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
