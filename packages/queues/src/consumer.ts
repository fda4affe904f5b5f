/**
 * A queue consumer, declared once: what it receives together, how long a message stays hidden,
 * and how a batch is handled. Two adapters run it: `lambdaHandler` (an SQS event source
 * mapping, partial batch failures) and `pollQueue` (a long-poll loop: the local stack, the GPU
 * containers). Nothing else reads a queue.
 */
/** One message as a consumer sees it, whichever adapter received it. */
export interface Received {
  id: string;
  body: string;
  /** How often it has been received, this time included. */
  receiveCount: number;
  /** When it was first sent (ms), where the queue says. */
  sentAt?: number;
}

export interface Turn {
  /**
   * Called by long handlers between steps: extends the messages' visibility (poll adapter),
   * and throws a TransientError when the batch must be given back (the Lambda's deadline is
   * near, the process is stopping past its grace period).
   */
  betweenSteps(): Promise<void>;
}

export interface Consumer {
  /** In logs. */
  name: string;
  /** Messages received together: 1…10 (SQS). */
  batchSize: number;
  /** How long a received message stays hidden while it is handled (s). */
  visibilityTimeoutSeconds: number;
  /**
   * Messages in hand at once in one process (poll adapter; in Lambda the mapping decides): receives
   * go on while earlier batches are handled. Without it, one batch at a time.
   */
  maxInFlight?: number;
  /** A message handed back is visible again after this delay (s). */
  retryDelaySeconds?: number;
  /**
   * The tenant a message belongs to (its MessageGroupId in AWS fair queues): with a look-ahead,
   * the poll adapter gives tenants fair turns (lookahead.ts). Undefined: a tenant of its own.
   */
  tenantOf?: (body: string) => string | undefined;
  /** Handles a batch: the ids it returns come back later; every other message is done. */
  handle(messages: readonly Received[], turn: Turn): Promise<{ retry: readonly string[] }>;
  /**
   * Handles one message on its own (a consumer whose messages are independent, `eachMessage`):
   * resolves when it is done, rejects when it should come back. Lambda runs such a consumer
   * through Powertools' batch processor.
   */
  one?: (message: Received) => Promise<void>;
}

/** Thrown for a message that should come back later (a retry). */
export class RetryLater extends Error {
  override readonly name = 'RetryLater';
}

/** What to do with a message whose handler threw. */
export type Verdict = 'retry' | 'drop';

/**
 * A storage or network hiccup is retried; so is anything unknown (the queue's redrive policy
 * sends it to its dead-letter queue after the last try). A message known to be bad is dropped.
 */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
}

export const classify = (e: unknown): Verdict => (e instanceof PermanentError ? 'drop' : 'retry');

export interface EachMessage<M> {
  name: string;
  /** The message, or null for one that is not this queue's (dropped, never retried). */
  parse(body: string): M | null;
  /** Handles one message; 'retry' (or a retryable throw) brings it back later. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing is done with its message.
  handle(message: M, received: Received): Promise<void | 'retry'>;
  batchSize?: number;
  visibilityTimeoutSeconds?: number;
  maxInFlight?: number;
  retryDelaySeconds?: number;
  classify?: (e: unknown) => Verdict;
  /** Told of every message dropped or given back, and why. */
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/** A consumer whose messages are independent: each parsed and handled on its own, concurrently. */
export function eachMessage<M>(o: EachMessage<M>): Consumer {
  const verdict = o.classify ?? classify;
  const log = o.log ?? (() => {});
  /** True when the message should come back. */
  const one = async (r: Received): Promise<boolean> => {
    const m = o.parse(r.body);
    if (m === null) {
      log('consumer.unreadable', { consumer: o.name, messageId: r.id });
      return false;
    }
    try {
      return (await o.handle(m, r)) === 'retry';
    } catch (e) {
      const v = verdict(e);
      log(v === 'drop' ? 'consumer.dropped' : 'consumer.retry', {
        consumer: o.name,
        messageId: r.id,
        error: String(e),
      });
      return v === 'retry';
    }
  };
  return {
    name: o.name,
    batchSize: o.batchSize ?? 10,
    visibilityTimeoutSeconds: o.visibilityTimeoutSeconds ?? 120,
    ...(o.maxInFlight !== undefined && { maxInFlight: o.maxInFlight }),
    ...(o.retryDelaySeconds !== undefined && { retryDelaySeconds: o.retryDelaySeconds }),
    async handle(messages) {
      const retry = await Promise.all(messages.map(one));
      return { retry: messages.filter((_, i) => retry[i]).map((m) => m.id) };
    },
    one: async (r) => {
      if (await one(r)) throw new RetryLater(`${o.name}: message ${r.id} comes back later`);
    },
  };
}
