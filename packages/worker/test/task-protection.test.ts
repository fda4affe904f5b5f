/** ECS task scale-in protection around the poll adapter: on while the task holds messages, off when idle. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueMessage } from '@baton/aws';
import { type Consumer, pollQueue } from '@baton/queues';
import { silent, TaskProtection } from '../src/index.ts';

class FakeQueue {
  pending: QueueMessage[] = [];
  deleted: string[] = [];
  async receive(max: number): Promise<QueueMessage[]> {
    await new Promise((r) => setTimeout(r, 1));
    return this.pending.splice(0, max);
  }
  async delete(handle: string) {
    this.deleted.push(handle);
  }
  async extend() {}
}

const message = (id: string): QueueMessage => ({
  id,
  body: '{}',
  receiptHandle: `rh-${id}`,
  receiveCount: 1,
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
  const consumer: Consumer = {
    name: 'stage',
    batchSize: 8,
    visibilityTimeoutSeconds: 30,
    handle: async (_, turn) => {
      await turn.betweenSteps();
      return { retry: [] };
    },
  };
  await pollQueue(queue, consumer, {
    waitSeconds: 0,
    idleDelayMs: 0,
    signal: abort.signal,
    onBusy: async (busy) => {
      await protection.set(busy);
      if (!busy && queue.deleted.length === 2) abort.abort(); // idle again after the batch: stop
    },
  });
  assert.deepEqual(
    calls.map((c) => c.body),
    [{ ProtectionEnabled: true, ExpiresInMinutes: 60 }, { ProtectionEnabled: false }],
  );
  assert.equal(calls[0]!.url, 'http://agent/task-protection/v1/state');
});
