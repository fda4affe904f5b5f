/** The long-poll adapter: acknowledgement, retry delay, visibility heartbeats, concurrency, graceful stop. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueMessage } from '@baton/aws';
import {
  type Consumer,
  eachMessage,
  PermanentError,
  pickFair,
  pollQueue,
  type Received,
  type Turn,
} from '../src/index.ts';

class FakeQueue {
  pending: QueueMessage[] = [];
  deleted: string[] = [];
  extended: Array<[string, number]> = [];
  async receive(max: number): Promise<QueueMessage[]> {
    await new Promise((r) => setTimeout(r, 1));
    return this.pending.splice(0, max);
  }
  async delete(handle: string) {
    this.deleted.push(handle);
  }
  async extend(handle: string, seconds: number) {
    this.extended.push([handle, seconds]);
  }
}

const message = (id: string, body = '{}'): QueueMessage => ({
  id,
  body,
  receiptHandle: `rh-${id}`,
  receiveCount: 1,
});

/** A consumer that runs `steps` steps per batch, calling the adapter's hook between them. */
function fakeConsumer(
  o: {
    steps?: number;
    stepMs?: number;
    retry?: string[];
    throws?: Error;
    clock?: { t: number };
    batchSize?: number;
    visibility?: number;
    retryDelay?: number;
    onHandle?: () => void;
  } = {},
): Consumer & { batches: string[][] } {
  const batches: string[][] = [];
  return {
    name: 'fake',
    batches,
    batchSize: o.batchSize ?? 8,
    visibilityTimeoutSeconds: o.visibility ?? 30,
    ...(o.retryDelay !== undefined && { retryDelaySeconds: o.retryDelay }),
    async handle(ms: readonly Received[], turn: Turn) {
      batches.push(ms.map((m) => m.id));
      o.onHandle?.();
      for (let i = 0; i < (o.steps ?? 0); i++) {
        // With an injected clock a step advances it; otherwise it takes real (short) time.
        if (o.clock) o.clock.t += o.stepMs ?? 1;
        else await new Promise((r) => setTimeout(r, o.stepMs ?? 1));
        await turn.betweenSteps();
      }
      if (o.throws) throw o.throws;
      return { retry: o.retry ?? [] };
    },
  };
}

/** Runs the adapter until `done()` holds, then stops it. */
async function runUntil(queue: FakeQueue, consumer: Consumer, done: () => boolean, extra = {}) {
  const abort = new AbortController();
  const run = pollQueue(queue, consumer, { waitSeconds: 0, idleDelayMs: 1, signal: abort.signal, ...extra });
  while (!done()) await new Promise((r) => setTimeout(r, 2));
  abort.abort();
  await run;
}

test('a batch is acknowledged; messages to retry come back after the retry delay', async () => {
  const queue = new FakeQueue();
  queue.pending = [message('a'), message('b'), message('c')];
  const consumer = fakeConsumer({ retry: ['b'], batchSize: 2, retryDelay: 3 });
  await runUntil(queue, consumer, () => queue.deleted.length + queue.extended.length === 3);
  assert.deepEqual(consumer.batches, [['a', 'b'], ['c']]);
  assert.deepEqual(queue.deleted.sort(), ['rh-a', 'rh-c']);
  assert.deepEqual(queue.extended, [['rh-b', 3]]);
});

test('a consumer that throws gives the whole batch back for retry, never deletes it', async () => {
  const queue = new FakeQueue();
  queue.pending = [message('a'), message('b')];
  await runUntil(queue, fakeConsumer({ throws: new Error('boom') }), () => queue.extended.length === 2);
  assert.deepEqual(queue.deleted, []);
  assert.deepEqual(queue.extended.map(([h]) => h).sort(), ['rh-a', 'rh-b']);
});

test('long handlers extend the visibility of every message in hand, between steps', async () => {
  const queue = new FakeQueue();
  queue.pending = [message('a'), message('b')];
  const clock = { t: 0 };
  const consumer = fakeConsumer({ steps: 12, stepMs: 100, clock, visibility: 2 });
  await runUntil(queue, consumer, () => queue.deleted.length === 2, {
    heartbeatSeconds: 0.5,
    now: () => clock.t,
  });
  const beats = queue.extended.filter(([, s]) => s === 2);
  // 1.2 s of steps (on the injected clock) with a beat every 0.5 s: at 0.5 s and 1.0 s, each for both messages.
  assert.equal(beats.length, 4, `${beats.length} extensions`);
  assert.deepEqual(new Set(beats.map(([h]) => h)), new Set(['rh-a', 'rh-b']));
});

test('on stop: the batch in hand finishes within the grace period, else is given back at once', async () => {
  // Finishes within grace: deleted.
  {
    const queue = new FakeQueue();
    queue.pending = [message('a')];
    const abort = new AbortController();
    const consumer = fakeConsumer({ steps: 5, stepMs: 5, onHandle: () => abort.abort() });
    await pollQueue(queue, consumer, { waitSeconds: 0, signal: abort.signal, graceMs: 10_000 });
    assert.deepEqual(queue.deleted, ['rh-a']);
  }
  // Runs past grace: the next step boundary gives it back with visibility 0 (another worker takes it now).
  {
    const queue = new FakeQueue();
    queue.pending = [message('a')];
    const abort = new AbortController();
    const consumer: Consumer = {
      name: 'slow',
      batchSize: 1,
      visibilityTimeoutSeconds: 30,
      async handle(_, turn) {
        abort.abort();
        for (let i = 0; i < 50; i++) {
          await new Promise((r) => setTimeout(r, 10));
          try {
            await turn.betweenSteps();
          } catch {
            return { retry: ['a'] };
          }
        }
        return { retry: [] };
      },
    };
    await pollQueue(queue, consumer, { waitSeconds: 0, signal: abort.signal, graceMs: 30 });
    assert.deepEqual(queue.deleted, []);
    assert.deepEqual(queue.extended, [['rh-a', 0]]);
  }
});

test('settings that cannot work are refused', async () => {
  const queue = new FakeQueue();
  await assert.rejects(pollQueue(queue, fakeConsumer({ batchSize: 11 })), /batchSize/);
  await assert.rejects(
    pollQueue(queue, fakeConsumer({ visibility: 10 }), { heartbeatSeconds: 10 }),
    /heartbeatSeconds/,
  );
});

test('a stop cancels the long poll in flight: the loop returns at once, not when the 20 s poll would end', {
  timeout: 5000,
}, async () => {
  let polling: (() => void) | undefined;
  const queue = {
    // A long poll that only ends when its signal aborts (as the SDK's receive does).
    receive: (_max: number, _wait: number, _vis?: number, signal?: AbortSignal) =>
      new Promise<QueueMessage[]>((_, reject) => {
        polling?.();
        signal?.addEventListener('abort', () => reject(new Error('aborted')));
      }),
    delete: async () => {},
    extend: async () => {},
  };
  const abort = new AbortController();
  const started = new Promise<void>((r) => {
    polling = r;
  });
  const running = pollQueue(queue, fakeConsumer(), { waitSeconds: 20, signal: abort.signal });
  await started;
  abort.abort();
  await running; // resolves only because the abort reached the poll in flight
});

test('with maxInFlight, receives go on while a slow batch is in hand: a hanging message holds one slot', async () => {
  const queue = new FakeQueue();
  queue.pending = [message('hang', 'hang'), ...['a', 'b', 'c', 'd'].map((id) => message(id))];
  let release: () => void = () => {};
  const hanging = new Promise<void>((r) => {
    release = r;
  });
  const consumer = eachMessage({
    name: 'each',
    parse: (body) => body,
    handle: async (body) => {
      if (body === 'hang') await hanging;
    },
    batchSize: 1,
    maxInFlight: 4,
  });
  const abort = new AbortController();
  const run = pollQueue(queue, consumer, { waitSeconds: 0, idleDelayMs: 1, signal: abort.signal });
  while (queue.deleted.length < 4) await new Promise((r) => setTimeout(r, 2));
  assert.deepEqual(queue.deleted.sort(), ['rh-a', 'rh-b', 'rh-c', 'rh-d']);
  release();
  while (queue.deleted.length < 5) await new Promise((r) => setTimeout(r, 2));
  abort.abort();
  await run;
});

test('eachMessage: an unreadable or permanently bad message is dropped, a failing one retried, each alone', async () => {
  const logged: string[] = [];
  const consumer = eachMessage({
    name: 'each',
    parse: (body) => (body.startsWith('{') ? (JSON.parse(body) as { do: string }) : null),
    handle: async (m) => {
      if (m.do === 'fail') throw new Error('storage hiccup');
      if (m.do === 'bad') throw new PermanentError('never works');
      if (m.do === 'later') return 'retry';
    },
    log: (event) => logged.push(event),
  });
  const turn = { betweenSteps: async () => {} };
  const r = await consumer.handle(
    [
      { id: 'ok', body: '{"do":"ok"}', receiveCount: 1 },
      { id: 'junk', body: 'not json', receiveCount: 1 },
      { id: 'fail', body: '{"do":"fail"}', receiveCount: 1 },
      { id: 'bad', body: '{"do":"bad"}', receiveCount: 1 },
      { id: 'later', body: '{"do":"later"}', receiveCount: 1 },
    ],
    turn,
  );
  assert.deepEqual([...r.retry].sort(), ['fail', 'later']);
  assert.deepEqual(logged.sort(), ['consumer.dropped', 'consumer.retry', 'consumer.unreadable']);
});

test('several queues are read in priority order: a later one only when every earlier one is empty, each batch acknowledged on its own queue', async () => {
  const first = new FakeQueue();
  const lane = new FakeQueue();
  first.pending = [message('i1'), message('i2')];
  lane.pending = [message('b1'), message('b2')];
  const consumer = fakeConsumer({ batchSize: 1 });
  const abort = new AbortController();
  const run = pollQueue([first, lane], consumer, { waitSeconds: 0, idleDelayMs: 1, signal: abort.signal });
  while (first.deleted.length + lane.deleted.length < 4) await new Promise((r) => setTimeout(r, 2));
  abort.abort();
  await run;
  assert.deepEqual(consumer.batches, [['i1'], ['i2'], ['b1'], ['b2']]);
  assert.deepEqual(first.deleted, ['rh-i1', 'rh-i2']);
  assert.deepEqual(lane.deleted, ['rh-b1', 'rh-b2']);
});

const tenantMessage = (id: string, t: string) => message(id, JSON.stringify({ t }));
const byTenant = (body: string) => (JSON.parse(body) as { t?: string }).t;

test("fair turns: a burst from one tenant does not put another tenant's message behind all of it", async () => {
  const burst = () => [
    ...Array.from({ length: 16 }, (_, i) => tenantMessage(`a${i}`, 'A')),
    tenantMessage('b0', 'B'),
  ];
  // In the queue's order (no look-ahead), B's message waits behind all 16 of A's: the third batch.
  {
    const queue = new FakeQueue();
    queue.pending = burst();
    const consumer = { ...fakeConsumer({ batchSize: 8 }), tenantOf: byTenant };
    await runUntil(queue, consumer, () => queue.deleted.length === 17);
    assert.ok(consumer.batches[2]?.includes('b0'), JSON.stringify(consumer.batches));
  }
  // With a look-ahead, B's turn comes right after A's first, in the first batch; A's messages keep their order.
  {
    const queue = new FakeQueue();
    queue.pending = burst();
    const consumer = fakeConsumer({ batchSize: 8 });
    await runUntil(queue, { ...consumer, tenantOf: byTenant }, () => queue.deleted.length === 17, {
      lookahead: 32,
    });
    assert.equal(consumer.batches[0]?.[1], 'b0', JSON.stringify(consumer.batches));
    const aOrder = consumer.batches.flat().filter((id) => id.startsWith('a'));
    assert.deepEqual(
      aOrder,
      Array.from({ length: 16 }, (_, i) => `a${i}`),
    );
  }
});

test('fair turns go first to the tenant with the fewest messages in hand, then to the oldest message', () => {
  const waiting = [
    { id: 1, t: 'A' },
    { id: 2, t: 'A' },
    { id: 3, t: 'C' },
    { id: 4, t: 'B' },
    { id: 5, t: 'B' },
  ];
  const ids = (n: number, busy?: Map<string, number>) =>
    pickFair(waiting, n, (m) => m.t, busy).map((m) => m.id);
  assert.deepEqual(ids(5), [1, 3, 4, 2, 5]);
  // A already has 2 in hand, C has 1: B goes first, then C, then the rest by turns.
  assert.deepEqual(
    ids(
      4,
      new Map([
        ['A', 2],
        ['C', 1],
      ]),
    ),
    [4, 3, 5, 1],
  );
  assert.deepEqual(ids(0), []);
});

test('messages read ahead stay hidden while held, and are given back at once on stop', async () => {
  const queue = new FakeQueue();
  queue.pending = Array.from({ length: 6 }, (_, i) => tenantMessage(`m${i}`, 'A'));
  const abort = new AbortController();
  let release: () => void = () => {};
  const holding = new Promise<void>((r) => {
    release = r;
  });
  const clock = { t: 0 };
  const consumer: Consumer = {
    name: 'slow',
    batchSize: 2,
    visibilityTimeoutSeconds: 30,
    tenantOf: byTenant,
    async handle() {
      await holding;
      return { retry: [] };
    },
  };
  const run = pollQueue(queue, consumer, {
    waitSeconds: 0,
    idleDelayMs: 1,
    lookahead: 8,
    heartbeatSeconds: 0.02,
    now: () => clock.t,
    signal: abort.signal,
  });
  // The first batch (2) is in hand; the other 4 are held. As the clock passes the heartbeat, they are extended.
  while (queue.pending.length) await new Promise((r) => setTimeout(r, 2));
  clock.t += 100;
  while (!queue.extended.some(([, s]) => s === 30)) await new Promise((r) => setTimeout(r, 2));
  const kept = new Set(queue.extended.filter(([, s]) => s === 30).map(([h]) => h));
  assert.ok(kept.size > 0 && [...kept].every((h) => ['rh-m2', 'rh-m3', 'rh-m4', 'rh-m5'].includes(h)));
  abort.abort();
  release();
  await run;
  assert.deepEqual(queue.deleted.sort(), ['rh-m0', 'rh-m1']);
  assert.deepEqual(
    queue.extended
      .filter(([, s]) => s === 0)
      .map(([h]) => h)
      .sort(),
    ['rh-m2', 'rh-m3', 'rh-m4', 'rh-m5'],
  );
});
