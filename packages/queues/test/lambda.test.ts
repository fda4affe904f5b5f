/** The Lambda adapter: partial batch failures, and a batch handed back near the deadline. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SQSEvent } from 'aws-lambda';
import { type Consumer, eachMessage, lambdaHandler } from '../src/index.ts';

const event = (...bodies: string[]): SQSEvent =>
  ({
    Records: bodies.map((body, i) => ({
      messageId: `m${i}`,
      body,
      attributes: { ApproximateReceiveCount: '2', SentTimestamp: '1000' },
    })),
  }) as unknown as SQSEvent;

test('only the messages to retry come back in batchItemFailures, with what the queue said of each', async () => {
  const seen: unknown[] = [];
  const handler = lambdaHandler(
    eachMessage({
      name: 'each',
      parse: (b) => b,
      handle: async (b, r) => {
        seen.push({ b, count: r.receiveCount, sentAt: r.sentAt });
        if (b === 'fail') throw new Error('boom');
      },
    }),
  );
  const r = await handler(event('ok', 'fail', 'ok'));
  assert.deepEqual(r.batchItemFailures, [{ itemIdentifier: 'm1' }]);
  assert.deepEqual(seen[0], { b: 'ok', count: 2, sentAt: 1000 });
});

test('near the deadline a long handler stops between steps; its batch is sent back and acknowledged', async () => {
  const requeued: string[] = [];
  let left = 60_000;
  const consumer: Consumer = {
    name: 'long',
    batchSize: 10,
    visibilityTimeoutSeconds: 60,
    async handle(ms, turn) {
      try {
        for (;;) {
          left -= 20_000;
          await turn.betweenSteps();
        }
      } catch {
        return { retry: ms.map((m) => m.id) };
      }
    },
  };
  const handler = lambdaHandler(consumer, { requeue: async (b) => void requeued.push(b) });
  const r = await handler(event('a', 'b'), { getRemainingTimeInMillis: () => left });
  assert.deepEqual(requeued, ['a', 'b']);
  assert.deepEqual(r.batchItemFailures, []);
});

test('a handler that throws whole brings every message back', async () => {
  const consumer: Consumer = {
    name: 'broken',
    batchSize: 10,
    visibilityTimeoutSeconds: 60,
    handle: async () => {
      throw new Error('boom');
    },
  };
  const r = await lambdaHandler(consumer)(event('a', 'b'));
  assert.deepEqual(r.batchItemFailures, [{ itemIdentifier: 'm0' }, { itemIdentifier: 'm1' }]);
});
