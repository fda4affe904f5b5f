/**
 * The long-poll adapter: runs a consumer against a queue until stopped (the local stack, the GPU
 * containers). Receives up to the consumer's batch size, keeps at most `maxInFlight` messages in
 * hand, extends their visibility between steps, acknowledges what is done, gives back what is to
 * be retried after the retry delay, and on stop finishes what it holds within the grace period,
 * else gives it back at once.
 */
import { isTransient, type QueueMessage, TransientError } from '@baton/aws';
import type { Consumer } from './consumer.ts';
import { Lookahead, type PollableQueue } from './lookahead.ts';

export type { PollableQueue } from './lookahead.ts';

export interface PollOptions {
  /** Long-poll wait (s); 0 polls short and pauses `idleDelayMs` after an empty receive. */
  waitSeconds?: number;
  idleDelayMs?: number;
  /** Extend visibility at most this often, between steps (s; a third of the visibility timeout by default). */
  heartbeatSeconds?: number;
  /** Stop receiving when aborted; finish what is in hand within `graceMs`, else give it back. */
  signal?: AbortSignal;
  graceMs?: number;
  /** Told when the loop starts and stops holding messages (ECS task scale-in protection). */
  onBusy?: (busy: boolean) => Promise<void>;
  log?: (event: string, fields?: Record<string, unknown>) => void;
  /** The clock heartbeats and the grace period are measured on (tests inject one). */
  now?: () => number;
  /**
   * For a consumer that names each message's tenant (`tenantOf`): read up to this many waiting
   * messages of the first queue ahead and build each batch by fair turns between tenants
   * (lookahead.ts). 0 (the default) takes messages in the queue's order.
   */
  lookahead?: number;
}

/** Checks a consumer's settings against SQS and the heartbeat: a consumer that cannot work fails at start. */
export function checkSettings(c: Consumer, o: PollOptions = {}): void {
  if (c.batchSize < 1 || c.batchSize > 10)
    throw new RangeError(`${c.name}: batchSize must be in 1…10 (SQS) but is ${c.batchSize}`);
  const heartbeat = o.heartbeatSeconds ?? Math.floor(c.visibilityTimeoutSeconds / 3);
  if (!(heartbeat > 0 && heartbeat < c.visibilityTimeoutSeconds)) {
    throw new RangeError(
      `${c.name}: heartbeatSeconds (${heartbeat}) must be > 0 and shorter than visibilityTimeoutSeconds (${c.visibilityTimeoutSeconds})`,
    );
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Receives from the first queue that has messages, in priority order: a later queue (the
 * stage's batch lane) is read only when every earlier one is empty, and in batches half the size
 * (interactive work that arrives meanwhile waits for one short batch, not a full one). With one
 * queue, it is long polled; with several, each is polled short, and an idle round long-polls the
 * first for at most a second (so no queue waits long behind another's empty poll). `first` reads
 * the first queue, waiting up to the seconds given: directly, or through the look-ahead's fair turns.
 */
async function receiveInOrder(
  first: (wait: number) => Promise<QueueMessage[]>,
  queues: readonly PollableQueue[],
  n: number,
  wait: number,
  visibility: number,
  signal: AbortSignal | undefined,
): Promise<{ from: PollableQueue; messages: QueueMessage[] }> {
  const [q0, ...lanes] = queues as [PollableQueue, ...PollableQueue[]];
  if (!lanes.length) return { from: q0, messages: await first(wait) };
  const now = await first(0);
  if (now.length) return { from: q0, messages: now };
  // A lane's batch is kept small: work arriving on the stage queue meanwhile waits for one short batch at most.
  for (const q of lanes) {
    const messages = await q.receive(Math.max(1, Math.ceil(n / 2)), 0, visibility, signal);
    if (messages.length) return { from: q, messages };
  }
  return { from: q0, messages: wait > 0 ? await first(Math.min(wait, 1)) : [] };
}

/** How the first queue is read: through the look-ahead's fair turns when there is one, else directly. */
function readFirst(
  fair: Lookahead | undefined,
  queue: PollableQueue,
  n: number,
  visibility: number,
  signal: AbortSignal | undefined,
): (wait: number) => Promise<QueueMessage[]> {
  if (!fair) return (wait) => queue.receive(n, wait, visibility, signal);
  return async (wait) => {
    await fair.fill(wait, signal);
    return fair.take(n);
  };
}

/** Runs until `signal` aborts and everything in hand is settled. Several queues: in priority order. */
export async function pollQueue(
  queue: PollableQueue | readonly PollableQueue[],
  consumer: Consumer,
  o: PollOptions = {},
): Promise<void> {
  const queues = Array.isArray(queue) ? queue : [queue as PollableQueue];
  checkSettings(consumer, o);
  const log = o.log ?? (() => {});
  const now = o.now ?? Date.now;
  const wait = o.waitSeconds ?? 10;
  const visibility = consumer.visibilityTimeoutSeconds;
  const heartbeat = o.heartbeatSeconds ?? Math.floor(visibility / 3);
  // Without maxInFlight, one batch at a time: the next receive waits for this one to settle.
  const maxInFlight = consumer.maxInFlight ?? consumer.batchSize;
  let stoppingSince: number | undefined;
  o.signal?.addEventListener('abort', () => {
    stoppingSince = now();
  });

  const settle = (from: PollableQueue, messages: QueueMessage[]) =>
    settleBatch(from, consumer, messages, {
      now,
      heartbeat,
      graceMs: o.graceMs ?? 20_000,
      stoppingSince: () => stoppingSince,
      log,
    });

  const inHand = new Map<Promise<void>, number>();
  const held = () => [...inHand.values()].reduce((a, n) => a + n, 0);
  // Fair turns between tenants: messages read ahead, handed out by turns (lookahead.ts).
  const fair =
    consumer.tenantOf && (o.lookahead ?? 0) > 0
      ? new Lookahead(queues[0]!, {
          size: o.lookahead!,
          visibility,
          heartbeat,
          tenantOf: consumer.tenantOf,
          now,
        })
      : undefined;
  while (!o.signal?.aborted) {
    if (maxInFlight - held() < 1) {
      await Promise.race(inHand.keys());
      continue;
    }
    let from: PollableQueue;
    let messages: QueueMessage[];
    try {
      // A stop cancels the long poll in flight: the process exits well inside its stop timeout.
      const n = Math.min(consumer.batchSize, maxInFlight - held());
      const first = readFirst(fair, queues[0]!, n, visibility, o.signal);
      ({ from, messages } = await receiveInOrder(first, queues, n, wait, visibility, o.signal));
    } catch (e) {
      if (o.signal?.aborted) break;
      log('consumer.receive_error', { consumer: consumer.name, error: String(e) });
      await pause(1000);
      continue;
    }
    if (messages.length) {
      await o.onBusy?.(true);
      const p: Promise<void> = settle(from, messages).finally(() => {
        inHand.delete(p);
        fair?.settled(messages);
      });
      inHand.set(p, consumer.maxInFlight === undefined ? maxInFlight : messages.length);
    } else {
      if (inHand.size === 0) await o.onBusy?.(false);
      if (wait === 0) await pause(o.idleDelayMs ?? 50);
    }
  }
  await fair?.giveBack();
  await Promise.allSettled(inHand.keys());
  await o.onBusy?.(false);
  log('consumer.stopped', { consumer: consumer.name });
}

interface Settling {
  now: () => number;
  heartbeat: number;
  graceMs: number;
  stoppingSince: () => number | undefined;
  log: NonNullable<PollOptions['log']>;
}

/** Handles one batch, then acknowledges what is done and gives back what is to be retried. */
async function settleBatch(queue: PollableQueue, consumer: Consumer, messages: QueueMessage[], s: Settling) {
  const { now, log } = s;
  const visibility = consumer.visibilityTimeoutSeconds;
  let lastBeat = now();
  const betweenSteps = async () => {
    const since = s.stoppingSince();
    if (since !== undefined && now() - since > s.graceMs)
      throw new TransientError('shutting down: giving the batch back');
    if (now() - lastBeat >= s.heartbeat * 1000) {
      lastBeat = now();
      await Promise.all(messages.map((m) => queue.extend(m.receiptHandle, visibility)));
    }
  };
  let retry: Set<string>;
  try {
    const received = messages.map((m) => ({
      id: m.id,
      body: m.body,
      receiveCount: m.receiveCount,
      ...(m.sentAt && { sentAt: m.sentAt }),
    }));
    retry = new Set((await consumer.handle(received, { betweenSteps })).retry);
  } catch (e) {
    log('consumer.batch_error', { consumer: consumer.name, error: String(e), transient: isTransient(e) });
    retry = new Set(messages.map((m) => m.id));
  }
  const giveBack = s.stoppingSince() !== undefined;
  await Promise.all(
    messages.map(async (m) => {
      try {
        if (retry.has(m.id))
          await queue.extend(m.receiptHandle, giveBack ? 0 : (consumer.retryDelaySeconds ?? 2));
        else await queue.delete(m.receiptHandle);
      } catch (e) {
        log('consumer.ack_error', { consumer: consumer.name, messageId: m.id, error: String(e) });
      }
    }),
  );
}
