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
 * (interactive work that arrives meanwhile waits for one short batch, not a full one). With one queue, it is long
 * polled; with several, each is polled short, and an idle round long-polls the first for at
 * most a second (so no queue waits long behind another's empty poll).
 */
async function receiveFirst(
  queues: readonly PollableQueue[],
  n: number,
  wait: number,
  visibility: number,
  signal: AbortSignal | undefined,
): Promise<{ from: PollableQueue; messages: QueueMessage[] }> {
  const [first] = queues as [PollableQueue, ...PollableQueue[]];
  if (queues.length === 1) return { from: first, messages: await first.receive(n, wait, visibility, signal) };
  const now = await first.receive(n, 0, visibility, signal);
  if (now.length) return { from: first, messages: now };
  const lane = await readLanes(queues.slice(1), n, visibility, signal);
  if (lane) return lane;
  const messages = wait > 0 ? await first.receive(n, Math.min(wait, 1), visibility, signal) : [];
  return { from: first, messages };
}

/**
 * The first lane with messages, read short, in batches half the size: work arriving on the
 * stage queue meanwhile waits for one short batch at most.
 */
async function readLanes(
  lanes: readonly PollableQueue[],
  n: number,
  visibility: number,
  signal: AbortSignal | undefined,
): Promise<{ from: PollableQueue; messages: QueueMessage[] } | undefined> {
  for (const q of lanes) {
    const messages = await q.receive(Math.max(1, Math.ceil(n / 2)), 0, visibility, signal);
    if (messages.length) return { from: q, messages };
  }
  return undefined;
}

/**
 * receiveFirst with fair turns on the first queue: what waits there is read ahead (up to the
 * look-ahead) and handed out by fair turns; the lanes are read only when nothing is held.
 */
async function receiveFair(
  fair: Lookahead,
  queues: readonly PollableQueue[],
  n: number,
  wait: number,
  visibility: number,
  signal: AbortSignal | undefined,
): Promise<{ from: PollableQueue; messages: QueueMessage[] }> {
  const [first, ...lanes] = queues as [PollableQueue, ...PollableQueue[]];
  await fair.fill(0, signal);
  if (fair.size) return { from: first, messages: fair.take(n) };
  const lane = await readLanes(lanes, n, visibility, signal);
  if (lane) return lane;
  if (wait > 0) await fair.fill(lanes.length ? Math.min(wait, 1) : wait, signal);
  return { from: first, messages: fair.take(n) };
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
      ({ from, messages } = fair
        ? await receiveFair(fair, queues, n, wait, visibility, o.signal)
        : await receiveFirst(queues, n, wait, visibility, o.signal));
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
