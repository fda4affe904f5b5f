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
  /** The stage's input as the previous stage left it in this process (its latents file): not read back. */
  carried?: Uint8Array;
}
