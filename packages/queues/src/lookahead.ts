/**
 * Fair turns between tenants for a long-running poller. SQS hands out a queue's messages
 * oldest first, so one tenant's burst puts another's single job behind all of it. With a
 * look-ahead, the poller reads up to `size` waiting messages, holds them (hidden, their
 * visibility kept up), and builds each batch by fair turns: the tenant with the fewest messages
 * in hand goes next, its oldest message first. In AWS, SQS fair queues do the same from each
 * message's MessageGroupId; this is the poller's own version (the local stack's queue has none).
 */
import type { QueueMessage } from '@baton/aws';

/** What a poller needs of a queue (SqsQueue has it). */
export interface PollableQueue {
  receive(
    max: number,
    waitSeconds: number,
    visibilityTimeout?: number,
    signal?: AbortSignal,
  ): Promise<QueueMessage[]>;
  delete(receiptHandle: string): Promise<void>;
  extend(receiptHandle: string, seconds: number): Promise<void>;
}

/**
 * Picks up to `n` messages by fair turns: each turn goes to the tenant with the fewest in hand
 * (`busy`, plus what this pick has taken), ties to the one whose next message is oldest. Returns
 * the picked messages in the order they were picked.
 */
export function pickFair<T>(
  waiting: readonly T[],
  n: number,
  tenantOf: (m: T) => string,
  busy: ReadonlyMap<string, number> = new Map(),
): T[] {
  const counts = new Map(busy);
  const left = [...waiting];
  const picked: T[] = [];
  while (picked.length < n && left.length) {
    let best = 0;
    let bestCount = Number.POSITIVE_INFINITY;
    const seen = new Set<string>();
    for (const [i, m] of left.entries()) {
      const t = tenantOf(m);
      if (seen.has(t)) continue; // only a tenant's oldest waiting message competes
      seen.add(t);
      const c = counts.get(t) ?? 0;
      if (c < bestCount) [best, bestCount] = [i, c];
    }
    const [m] = left.splice(best, 1) as [T];
    picked.push(m);
    const t = tenantOf(m);
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return picked;
}

interface Held {
  message: QueueMessage;
  tenant: string;
  extendedAt: number;
}

/** Messages read ahead from one queue and held until a fair pick hands them out. */
export class Lookahead {
  private held: Held[] = [];
  /** Messages handed out and not yet settled, by tenant (fair turns go to the fewest). */
  private readonly busy = new Map<string, number>();
  private readonly out = new Map<string, string>();
  private readonly beat: ReturnType<typeof setInterval>;

  constructor(
    private readonly queue: PollableQueue,
    private readonly o: {
      size: number;
      visibility: number;
      /** Held messages are extended when not extended for this long (s). */
      heartbeat: number;
      tenantOf: (body: string) => string | undefined;
      now: () => number;
    },
  ) {
    this.beat = setInterval(() => void this.heartbeat(), (o.heartbeat * 1000) / 2);
    this.beat.unref();
  }

  get size(): number {
    return this.held.length;
  }

  /** Reads what waits, up to the look-ahead (short polls; `wait` > 0 long-polls once when none is held). */
  async fill(wait: number, signal?: AbortSignal): Promise<void> {
    let first = true;
    while (this.held.length < this.o.size) {
      const want = Math.min(10, this.o.size - this.held.length);
      const longPoll = first && wait > 0 && this.held.length === 0;
      const got = await this.queue.receive(want, longPoll ? wait : 0, this.o.visibility, signal);
      first = false;
      const at = this.o.now();
      for (const message of got)
        this.held.push({
          message,
          tenant: this.o.tenantOf(message.body) ?? `message:${message.id}`,
          extendedAt: at,
        });
      if (got.length < want) break;
    }
  }

  /** Hands out up to `n` held messages by fair turns (see pickFair). */
  take(n: number): QueueMessage[] {
    const picked = pickFair(this.held, n, (h) => h.tenant, this.busy);
    this.held = this.held.filter((h) => !picked.includes(h));
    for (const h of picked) {
      this.out.set(h.message.receiptHandle, h.tenant);
      this.busy.set(h.tenant, (this.busy.get(h.tenant) ?? 0) + 1);
    }
    return picked.map((h) => h.message);
  }

  /** Messages handed out are settled (done or given back): their tenants' turns count them no more. */
  settled(messages: readonly QueueMessage[]): void {
    for (const m of messages) {
      const t = this.out.get(m.receiptHandle);
      if (t === undefined) continue; // not handed out here (a lane's)
      this.out.delete(m.receiptHandle);
      const c = (this.busy.get(t) ?? 1) - 1;
      c > 0 ? this.busy.set(t, c) : this.busy.delete(t);
    }
  }

  /** Keeps held messages hidden: extends those not extended for a heartbeat. */
  async heartbeat(): Promise<void> {
    const now = this.o.now();
    const due = this.held.filter((h) => now - h.extendedAt >= this.o.heartbeat * 1000);
    await Promise.all(
      due.map(async (h) => {
        h.extendedAt = now;
        await this.queue.extend(h.message.receiptHandle, this.o.visibility).catch(() => {});
      }),
    );
  }

  /** On stop: everything held becomes visible again at once. */
  async giveBack(): Promise<void> {
    clearInterval(this.beat);
    const held = this.held;
    this.held = [];
    await Promise.all(held.map((h) => this.queue.extend(h.message.receiptHandle, 0).catch(() => {})));
  }
}
