/**
 * The Lambda entry points, imported as AWS runs them (links through SST's Resource), called
 * with real-shaped events against the local S3 and SQS servers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AwsConfig } from '@baton/aws';
import { SqsQueue } from '@baton/aws';
import { jobKey, keys } from '@baton/jobs';
import { KeyStore } from '@baton/service';
import { type LocalAws, startLocalAws } from '@baton/stack';
import { connectWorker } from '@baton/worker';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { apiHandler, invokeStreaming } from './lambda-stream.ts';

let aws: LocalAws;
let config: AwsConfig;

function linkEnv(c: AwsConfig) {
  process.env.SST_RESOURCE_Store = JSON.stringify({ name: c.bucket, type: 'sst.aws.Bucket' });
  process.env.SST_RESOURCE_State = JSON.stringify({ name: c.table, type: 'sst.aws.Dynamo' });
  process.env.SST_RESOURCE_BaseQueue = JSON.stringify({ url: c.queues.base, type: 'sst.aws.Queue' });
  process.env.SST_RESOURCE_RelayQueue = JSON.stringify({ url: c.queues.relay, type: 'sst.aws.Queue' });
  process.env.SST_RESOURCE_DecodeQueue = JSON.stringify({ url: c.queues.decode, type: 'sst.aws.Queue' });
  process.env.SST_RESOURCE_WebhookQueue = JSON.stringify({ url: aws.webhookQueueUrl, type: 'sst.aws.Queue' });
  process.env.SST_RESOURCE_App = JSON.stringify({ name: 'baton', stage: 'test' });
  process.env.SST_RESOURCE_UrlSecret = JSON.stringify({ value: 'test-url-secret', type: 'sst.sst.Secret' });
  process.env.SST_RESOURCE_BatchQueue = JSON.stringify({ url: c.batchQueue, type: 'sst.aws.Queue' });
  process.env.SST_RESOURCE_EventsQueue = JSON.stringify({ url: c.eventsQueue, type: 'sst.aws.Queue' });
  process.env.SST_RESOURCE_Events = JSON.stringify({
    name: 'baton-test',
    arn: 'arn:aws:events:::event-bus/baton-test',
    type: 'sst.aws.Bus',
  });
  // Webhook retries come back from the queue after 1 s here (10 s, 1 min, 5 min, 15 min in AWS).
  process.env.BATON_WEBHOOK_BACKOFF_MS = '1000,1000';
  process.env.BATON_WEBHOOK_ALLOWED_HOSTS = '127.0.0.1';
  // The worker entry serves the base queue here (its Lambda's BATON_STAGE_QUEUE).
  process.env.BATON_STAGE_QUEUE = 'base';
  process.env.BATON_S3_ENDPOINT = c.s3Endpoint;
  process.env.BATON_SQS_ENDPOINT = c.sqsEndpoint;
  process.env.BATON_DYNAMODB_ENDPOINT = c.dynamoEndpoint;
  process.env.BATON_LOCAL_CREDENTIALS = c.credentials!.accessKeyId;
}

const KEY = 'bk_functions_test_0123456789';

before(async () => {
  aws = await startLocalAws({ dataDir: mkdtempSync(join(tmpdir(), 'baton-fn-')) });
  config = aws.config;
  linkEnv(config);
  await new KeyStore(connectWorker(config).table).create('test', KEY);
});
after(() => aws.close());

const sqsRecord = (body: unknown, i: number): SQSRecord => ({
  messageId: `msg-${i}`,
  receiptHandle: `rh-${i}`,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: String(Date.now() - 50),
    SenderId: 'AIDAEXAMPLE',
    ApproximateFirstReceiveTimestamp: String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test',
  awsRegion: 'us-east-1',
});

function functionUrlEvent(method: string, path: string, body?: unknown) {
  const [rawPath, rawQueryString = ''] = path.split('?') as [string, string?];
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers: {
      host: 'abc123.lambda-url.us-east-1.on.aws',
      'content-type': 'application/json',
      'x-forwarded-proto': 'https',
      authorization: `Bearer ${KEY}`,
    },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc123',
      domainName: 'abc123.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '25/Nov/2026:20:00:00 +0000',
      timeEpoch: Date.now(),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    isBase64Encoded: false,
  };
}

test('API handler answers function-URL events: create a job, read it, reject bad input', async () => {
  const handler = await apiHandler();
  const created = (await handler(
    functionUrlEvent('POST', '/v1/jobs', { prompt: 'red circle', seed: 1, size: '64x64' }) as never,
  )) as {
    statusCode: number;
    body: string;
  };
  assert.equal(created.statusCode, 202);
  const job = JSON.parse(created.body);
  assert.equal(job.status, 'queued');
  const got = (await handler(functionUrlEvent('GET', `/v1/jobs/${job.id}`) as never)) as {
    statusCode: number;
    body: string;
  };
  assert.equal(got.statusCode, 200);
  assert.equal(JSON.parse(got.body).id, job.id);
  const bad = (await handler(
    functionUrlEvent('POST', '/v1/jobs', { prompt: 'x', size: '99x99' }) as never,
  )) as { statusCode: number; body: string };
  assert.equal(bad.statusCode, 400);
  assert.equal(JSON.parse(bad.body).error.param, 'size');
});

test('worker handler: one failing message in a batch comes back alone in batchItemFailures', async () => {
  const { handler } = await import('../worker/index.ts');
  const { jobs, queues } = connectWorker(config);
  const api = await apiHandler();
  const make = async (seed: number) =>
    JSON.parse(
      (
        (await api(
          functionUrlEvent('POST', '/v1/jobs', { prompt: 'blue box', seed, size: '64x64' }) as never,
        )) as { body: string }
      ).body,
    ).id as string;
  const a = await make(1);
  const b = await make(2);
  const broken = await make(3);
  // A job whose stored spec makes the sampler throw (not bad input: a bug), so it must be retried.
  const req = (await jobs.request(broken))!;
  await jobs.table.update(jobKey(broken), {
    set: { request: { ...req, spec: { ...req.spec, stepsBase: -1 } } },
  });
  await queues.base.receive(10, 1); // the API's own messages (a long poll: answered once they are there): this test delivers by hand
  const event: SQSEvent = {
    Records: [a, broken, b].map((id, i) =>
      sqsRecord({ v: 1, jobId: id, stage: 'base', correlationId: `c${i}` }, i),
    ),
  };
  const res = await handler(event, { getRemainingTimeInMillis: () => 60_000 });
  assert.deepEqual(res, { batchItemFailures: [{ itemIdentifier: 'msg-1' }] });
  for (const id of [a, b]) assert.ok(await jobs.store.exists(keys.output(id, 'base')), `${id} base output`);
  assert.equal(await jobs.store.exists(keys.output(broken, 'base')), false);
  // Bad input (garbage) is acknowledged, not retried.
  const poison = await handler(
    { Records: [sqsRecord('garbage', 7)] },
    { getRemainingTimeInMillis: () => 60_000 },
  );
  assert.deepEqual(poison.batchItemFailures, []);
});

test('worker handler stops near its deadline and hands the batch straight back on the queue, with a fresh receive count', async () => {
  const { handler } = await import('../worker/index.ts');
  const api = await apiHandler();
  const id = JSON.parse(
    (
      (await api(
        functionUrlEvent('POST', '/v1/jobs', { prompt: 'dot', seed: 4, size: '64x64' }) as never,
      )) as { body: string }
    ).body,
  ).id as string;
  const body = { v: 1, jobId: id, stage: 'base', correlationId: 'c' };
  const base = new SqsQueue(config, config.queues.base);
  // The API's own message (a long poll: answered as soon as it is there; a short poll may miss it, as in SQS).
  for (const m of await base.receive(10, 1)) await base.delete(m.receiptHandle);
  const res = await handler({ Records: [sqsRecord(body, 9)] }, { getRemainingTimeInMillis: () => 5_000 });
  // Acknowledged (not a batch item failure: that would wait out the visibility timeout and count
  // toward the dead-letter queue) and sent again, visible at once.
  assert.deepEqual(res, { batchItemFailures: [] });
  const [again] = await base.receive(1, 5);
  assert.deepEqual(JSON.parse(again!.body), body);
  assert.equal(again!.receiveCount, 1);
});

test('dead-letter handler marks the job failed', async () => {
  const { handler } = await import('../dead-letter/index.ts');
  const api = await apiHandler();
  const id = JSON.parse(
    (
      (await api(functionUrlEvent('POST', '/v1/jobs', { prompt: 'dot', seed: 5 }) as never)) as {
        body: string;
      }
    ).body,
  ).id;
  const res = await handler({
    Records: [sqsRecord({ v: 1, jobId: id, stage: 'base', correlationId: 'c' }, 1)],
  });
  assert.deepEqual(res.batchItemFailures, []);
  const { jobs } = connectWorker(config);
  const state = await jobs.state(id);
  assert.equal(state!.status, 'failed');
  assert.equal(state!.error!.code, 'dead_letter');
});

test('webhook deliveries and their retries wait in the queue, never in a worker; the delivery handler makes them', async () => {
  const { handler } = await import('../webhooks/index.ts');
  const { jobs } = connectWorker(config);
  const { SqsQueue } = await import('@baton/aws');
  const retries = new SqsQueue(config, aws.webhookQueueUrl);
  // A receiver that fails the first two attempts.
  const { createServer } = await import('node:http');
  const seen: Array<{ id: string; status: number }> = [];
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = seen.length < 2 ? 500 : 204;
      seen.push({ id: String(req.headers['webhook-id']), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  try {
    const api = await apiHandler();
    const created = (await api(
      functionUrlEvent('POST', '/v1/jobs', {
        prompt: 'red circle',
        seed: 5,
        size: '64x64',
        webhook: { url, events: ['completed'] },
      }) as never,
    )) as { body: string };
    const id = JSON.parse(created.body).id as string;
    const request = (await jobs.request(id))!;
    // The worker's sender, as wired in AWS: it only enqueues the first attempt.
    const { webhooks } = connectWorker({ ...config, webhookQueue: aws.webhookQueueUrl });
    webhooks.send(request, 'completed', { status: 'succeeded' });
    await webhooks.flush();
    assert.equal(seen.length, 0, 'nothing is sent from the worker');
    const take = async () => {
      for (let i = 0; i < 50; i++) {
        const [m] = await retries.receive(1, 0);
        if (m) {
          await retries.delete(m.receiptHandle);
          return m;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('no delivery message arrived');
    };
    const queued = await take();
    assert.equal(JSON.parse(queued.body).attempt, 1);
    // Attempt 1 fails: the handler queues attempt 2 (with its backoff as the delay) and acknowledges.
    assert.deepEqual(await handler({ Records: [sqsRecord(queued.body, 19)] }), { batchItemFailures: [] });
    assert.deepEqual(
      seen.map((x) => x.status),
      [500],
    );
    const first = await take();
    assert.equal(JSON.parse(first.body).attempt, 2);
    assert.ok(!first.body.includes(request.webhook!.secret), 'no secret on the queue');
    // Attempt 2 fails too: the handler schedules attempt 3 and acknowledges its message.
    assert.deepEqual(await handler({ Records: [sqsRecord(first.body, 20)] }), { batchItemFailures: [] });
    const second = await take();
    assert.equal(JSON.parse(second.body).attempt, 3);
    assert.deepEqual(await handler({ Records: [sqsRecord(second.body, 21)] }), { batchItemFailures: [] });
    assert.deepEqual(
      seen.map((x) => x.status),
      [500, 500, 204],
    );
    assert.equal(new Set(seen.map((x) => x.id)).size, 1, 'one webhook-id across attempts');
    const log = await jobs.deliveries(id);
    assert.deepEqual(
      log.sort((a, b) => a.attempt - b.attempt).map((d) => [d.attempt, d.ok]),
      [
        [1, false],
        [2, false],
        [3, true],
      ],
    );
    // Garbage on the retry queue is dropped, not retried forever.
    assert.deepEqual(await handler({ Records: [sqsRecord('garbage', 22)] }), { batchItemFailures: [] });
  } finally {
    receiver.close();
  }
});

test('job events stream through Lambda response streaming: the first event arrives before the job ends', async () => {
  const api = await apiHandler();
  const { handler } = await import('../api/index.ts');
  const created = await api(functionUrlEvent('POST', '/v1/jobs', { prompt: 'dot', seed: 9, size: '64x64' }));
  const id = JSON.parse(created.body).id as string;
  let firstEvent: ((text: string) => void) | undefined;
  const first = new Promise<string>((r) => {
    firstEvent = r;
  });
  const streamed = invokeStreaming(handler, functionUrlEvent('GET', `/v1/jobs/${id}/events`), (text) =>
    firstEvent?.(text),
  );
  // The job is still queued (no worker runs here) when its first event is already in hand.
  assert.match(await first, /event: progress\ndata: \{.*"status":"queued"/);
  await api(functionUrlEvent('POST', `/v1/jobs/${id}/cancel`, {}));
  const done = await streamed;
  assert.equal(done.statusCode, 200);
  assert.equal(done.headers['content-type'], 'text/event-stream');
  assert.match(done.body, /event: canceled/);
  assert.ok(done.chunks.length >= 2, 'written as it happened, not as one buffered body');
});

test('intake and batch handlers: an S3 notification of an inbox object makes a batch; the batch handler fans it out', async () => {
  const { store, table, jobs } = connectWorker(config);
  const owner = (await new KeyStore(table).list()).find((k) => k.name === 'test')!;
  const line = JSON.stringify({
    custom_id: 'x',
    method: 'POST',
    url: '/v1/images/generations',
    body: { prompt: 'red dot', size: '64x64' },
  });
  const key = `batches/inbox/${owner.id}/my file.jsonl`;
  await store.put(key, `${line}\n`, 'application/jsonl');
  // As S3 writes a notification (the key URL-encoded, spaces as +), as SQS delivers it.
  const notification = {
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: {
          bucket: { name: config.bucket },
          object: { key: `batches/inbox/${owner.id}/my+file.jsonl`, size: 10 },
        },
      },
    ],
  };
  const intake = (await import('../intake/index.ts')).handler;
  const test = await intake({
    Records: [sqsRecord({ Service: 'Amazon S3', Event: 's3:TestEvent' }, 0), sqsRecord(notification, 1)],
  } as SQSEvent);
  assert.deepEqual(test.batchItemFailures, []);
  const batchQueue = new SqsQueue(config, config.batchQueue!);
  const [m] = await batchQueue.receive(1, 2);
  assert.ok(m, 'the new batch is on the batch queue');
  const batchId = JSON.parse(m.body).batchId as string;
  const batches = (await import('../batches/index.ts')).handler;
  const r = await batches({ Records: [sqsRecord(m.body, 2)] } as SQSEvent);
  assert.deepEqual(r.batchItemFailures, []);
  const requests = await Promise.all((await jobs.activeIds()).map((id) => jobs.request(id)));
  const made = requests.filter((x) => x?.batch?.id === batchId);
  assert.equal(made.length, 1, 'the line became a job');
  assert.equal(made[0]!.owner, owner.id);
  // Again for the same object: nothing new.
  await intake({ Records: [sqsRecord(notification, 3)] } as SQSEvent);
  const again = await batchQueue.receive(10, 1);
  assert.ok(
    again.every((x) => JSON.parse(x.body).batchId === batchId),
    'no second batch',
  );
});
