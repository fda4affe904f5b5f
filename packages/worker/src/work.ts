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
}
