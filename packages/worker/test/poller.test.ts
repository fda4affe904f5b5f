/** The long-running poller: acknowledgement, retry delay, visibility heartbeats, graceful stop. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueMessage } from '@baton/aws';
import {
  type BatchResult,
  type IncomingMessage,
  Poller,
  type StageWorker,
  silent,
  TaskProtection,
} from '../src/index.ts';

class FakeQueue {
  pending: QueueMessage[] = [];
  deleted: string[] = [];
  extended: Array<[string, number]> = [];
  receives = 0;
  async receive(max: number): Promise<QueueMessage[]> {
    this.receives++;
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

const message = (id: string): QueueMessage => ({
  id,
  body: '{}',
  receiptHandle: `rh-${id}`,
  receiveCount: 1,
});

/** A worker that runs `steps` steps per batch, calling the poller's hook between them. */
function fakeWorker(
  o: { steps?: number; stepMs?: number; retry?: string[]; throws?: Error; clock?: { t: number } } = {},
): StageWorker & { batches: string[][] } {
  const batches: string[][] = [];
  const w = {
    batches,
    async handle(
      ms: readonly IncomingMessage[],
      hooks: { betweenSteps?: () => void | Promise<void> } = {},
    ): Promise<BatchResult> {
      batches.push(ms.map((m) => m.id));
      for (let i = 0; i < (o.steps ?? 0); i++) {
        // With an injected clock a step advances it; otherwise it takes real (short) time.
        if (o.clock) o.clock.t += o.stepMs ?? 1;
        else await new Promise((r) => setTimeout(r, o.stepMs ?? 1));
        await hooks.betweenSteps?.();
      }
      if (o.throws) throw o.throws;
      return { retry: o.retry ?? [] };
    },
  };
  return w as unknown as StageWorker & { batches: string[][] };
}

test('a batch is acknowledged; messages to retry come back after the retry delay', async () => {
  const queue = new FakeQueue();
  queue.pending = [message('a'), message('b'), message('c')];
  const worker = fakeWorker({ retry: ['b'] });
  const abort = new AbortController();
  const p = new Poller({
    queue,
    worker,
    log: silent,
    batchSize: 2,
    waitSeconds: 0,
    idleDelayMs: 1,
    retryDelaySeconds: 3,
    visibilityTimeoutSeconds: 30,
    signal: abort.signal,
  });
  const run = p.run();
  while (queue.pending.length || worker.batches.length < 2) await new Promise((r) => setTimeout(r, 2));
  abort.abort();
  await run;
  assert.deepEqual(worker.batches, [['a', 'b'], ['c']]);
  assert.deepEqual(queue.deleted.sort(), ['rh-a', 'rh-c']);
  assert.deepEqual(queue.extended, [['rh-b', 3]]);
});

test('a worker that throws gives the whole batch back for retry, never deletes it', async () => {
  const queue = new FakeQueue();
  const p = new Poller({ queue, worker: fakeWorker({ throws: new Error('boom') }), log: silent });
  await p.process([message('a'), message('b')]);
  assert.deepEqual(queue.deleted, []);
  assert.deepEqual(queue.extended.map(([h]) => h).sort(), ['rh-a', 'rh-b']);
});

test('long stages extend the visibility of every message in hand, between steps', async () => {
  const queue = new FakeQueue();
  const clock = { t: 0 };
  const p = new Poller({
    queue,
    worker: fakeWorker({ steps: 12, stepMs: 100, clock }),
    log: silent,
    visibilityTimeoutSeconds: 2,
    heartbeatSeconds: 0.5,
    now: () => clock.t,
  });
  await p.process([message('a'), message('b')]);
  const beats = queue.extended.filter(([, s]) => s === 2);
  // 1.2 s of steps (on the injected clock) with a beat every 0.5 s: at 0.5 s and 1.0 s, each for both messages.
  assert.equal(beats.length, 4, `${beats.length} extensions`);
  assert.deepEqual(new Set(beats.map(([h]) => h)), new Set(['rh-a', 'rh-b']));
  assert.deepEqual(queue.deleted.sort(), ['rh-a', 'rh-b']);
});

test('on stop: the batch in hand finishes within the grace period, else is given back at once', async () => {
  // Finishes within grace: deleted.
  {
    const queue = new FakeQueue();
    const abort = new AbortController();
    const p = new Poller({
      queue,
      worker: fakeWorker({ steps: 5, stepMs: 5 }),
      log: silent,
      signal: abort.signal,
      graceMs: 10_000,
    });
    const done = p.process([message('a')]);
    abort.abort();
    await done;
    assert.deepEqual(queue.deleted, ['rh-a']);
  }
  // Runs past grace: the next step boundary gives it back with visibility 0 (another worker takes it now).
  {
    const queue = new FakeQueue();
    const abort = new AbortController();
    const worker = {
      async handle(_: readonly IncomingMessage[], hooks: { betweenSteps?: () => Promise<void> | void }) {
        for (let i = 0; i < 50; i++) {
          await new Promise((r) => setTimeout(r, 10));
          try {
            await hooks.betweenSteps?.();
          } catch (e) {
            return { retry: ['a'], stoppedAt: i, error: e };
          }
        }
        return { retry: [] };
      },
    } as unknown as StageWorker;
    const p = new Poller({ queue, worker, log: silent, signal: abort.signal, graceMs: 30 });
    const done = p.process([message('a')]);
    abort.abort();
    await done;
    assert.deepEqual(queue.deleted, []);
    assert.deepEqual(queue.extended, [['rh-a', 0]]);
  }
});

test('settings that cannot work are refused', () => {
  const queue = new FakeQueue();
  const worker = fakeWorker();
  assert.throws(() => new Poller({ queue, worker, log: silent, batchSize: 11 }), /batchSize/);
  assert.throws(
    () => new Poller({ queue, worker, log: silent, visibilityTimeoutSeconds: 10, heartbeatSeconds: 10 }),
    /heartbeatSeconds/,
  );
});

test('a stop cancels the long poll in flight: run() returns at once, not when the 20 s poll would end', {
  timeout: 5000,
}, async () => {
  let polling: (() => void) | undefined;
  const queue = {
    ...new FakeQueue(),
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
  const p = new Poller({ queue, worker: fakeWorker(), log: silent, waitSeconds: 20, signal: abort.signal });
  const started = new Promise<void>((r) => {
    polling = r;
  });
  const running = p.run();
  await started;
  abort.abort();
  await running; // resolves only because the abort reached the poll in flight
});

test('a task is protected from scale-in while it holds messages, and only then', async () => {
  const queue = new FakeQueue();
  queue.pending.push(message('a'), message('b'));
  const calls: { url: string; body: unknown }[] = [];
  const protection = new TaskProtection('http://agent', silent, 60, (async (
    url: string,
    init: RequestInit,
  ) => {
    calls.push({ url, body: JSON.parse(String(init.body)) });
    return new Response('{}');
  }) as typeof fetch);
  const abort = new AbortController();
  const p = new Poller({
    queue,
    worker: fakeWorker({ steps: 2 }),
    log: silent,
    waitSeconds: 0,
    idleDelayMs: 0,
    signal: abort.signal,
    onBusy: async (busy) => {
      await protection.set(busy);
      if (!busy && queue.deleted.length === 2) abort.abort(); // idle again after the batch: stop
    },
  });
  await p.run();
  assert.deepEqual(
    calls.map((c) => c.body),
    [{ ProtectionEnabled: true, ExpiresInMinutes: 60 }, { ProtectionEnabled: false }],
  );
  assert.equal(calls[0]!.url, 'http://agent/task-protection/v1/state');
});
