/**
 * The local SQS server answers receives as SQS does (sqs-patches.ts): a short poll at once with
 * what waits, a long poll as soon as a message is there, with what else waits up to the batch.
 * Timings are compared with the server's own wait (seconds), never against fixed sleeps.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startSqsServer } from '../src/sqs-patches.ts';

let server: Server;
let sqs: SQSClient;
let url: (name: string) => string;

before(async () => {
  server = await startSqsServer({
    port: 0,
    hostname: '127.0.0.1',
    accountId: '000000000000',
    emulateQueueCreationLifecycle: false,
    queues: ['short', 'long', 'batch', 'again'].map((QueueName) => ({ QueueName })),
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  url = (name) => `${endpoint}/000000000000/${name}`;
  sqs = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
});
after(async () => {
  sqs.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const receive = async (queue: string, max: number, wait: number, visibility?: number) => {
  const t0 = performance.now();
  const r = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url(queue),
      MaxNumberOfMessages: max,
      WaitTimeSeconds: wait,
      ...(visibility !== undefined && { VisibilityTimeout: visibility }),
    }),
  );
  return {
    bodies: (r.Messages ?? []).map((m) => m.Body),
    handles: (r.Messages ?? []).map((m) => m.ReceiptHandle!),
    ms: performance.now() - t0,
  };
};

test('a short poll answers what waits, or nothing, without holding for a batch', async () => {
  assert.deepEqual((await receive('short', 10, 0)).bodies, []);
  await sqs.send(new SendMessageCommand({ QueueUrl: url('short'), MessageBody: 'a' }));
  assert.deepEqual((await receive('short', 10, 0)).bodies, ['a']);
});

test('a long poll answers as soon as a message is sent, well before its wait is up', async () => {
  const waiting = receive('long', 10, 20);
  await sqs.send(new SendMessageCommand({ QueueUrl: url('long'), MessageBody: 'b' }));
  const got = await waiting;
  assert.deepEqual(got.bodies, ['b']);
  assert.ok(got.ms < 5_000, `answered after ${got.ms.toFixed(0)} ms of a 20 s wait`);
});

test('a long poll takes every waiting message up to its batch, and leaves the rest', async () => {
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: url('batch'),
      Entries: ['1', '2', '3', '4'].map((b) => ({ Id: b, MessageBody: b })),
    }),
  );
  const got = await receive('batch', 3, 20);
  assert.equal(got.bodies.length, 3);
  assert.ok(got.ms < 5_000);
  const rest = await receive('batch', 10, 20);
  assert.deepEqual([...got.bodies, ...rest.bodies].sort(), ['1', '2', '3', '4']);
});

test('a message made visible again is answered to a long poll already waiting, not at its deadline', async () => {
  await sqs.send(new SendMessageCommand({ QueueUrl: url('again'), MessageBody: 'c' }));
  const first = await receive('again', 1, 0, 30);
  assert.deepEqual(first.bodies, ['c']);
  const waiting = receive('again', 10, 20);
  // Given back (visibility 0), as a worker does with a message it cannot finish.
  await sqs.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: url('again'),
      ReceiptHandle: first.handles[0]!,
      VisibilityTimeout: 0,
    }),
  );
  const got = await waiting;
  assert.deepEqual(got.bodies, ['c']);
  assert.ok(got.ms < 5_000, `answered after ${got.ms.toFixed(0)} ms of a 20 s wait`);
});
