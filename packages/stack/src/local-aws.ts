/**
 * Local S3 (s3rver, filesystem-backed), SQS (local-aws-sqs) and DynamoDB (dynalite, on
 * LevelDB) servers, with the stage queues and their DLQs and the state table.
 */

import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AwsConfig, dynamoClient, ensureTable, STAGE_QUEUES, type StageQueue } from '@baton/aws';
import S3rver from 's3rver';
import { type CountSource, type Counts, RequestCounter } from './request-counter.ts';
import {
  answerRangesOfEmptyObjects,
  honourConditionalWrites,
  keepDirectories,
  listInOnePage,
  refuseUnstorableKeys,
} from './s3rver-patches.ts';
import { startSqsServer } from './sqs-patches.ts';

export interface LocalAwsOptions {
  dataDir: string;
  s3Port?: number;
  sqsPort?: number;
  dynamoPort?: number;
  bucket?: string;
  table?: string;
  /** Receives before a message goes to its dead-letter queue. */
  maxReceiveCount?: number;
  visibilityTimeoutSeconds?: number;
}

export interface LocalAws {
  config: AwsConfig;
  /** A queue for webhook retries, as AWS has (not in `config`: see above). */
  webhookQueueUrl: string;
  /** Every request the servers answered, by service and operation. */
  requests: RequestCounter;
  close(): Promise<void>;
}

const CREDENTIALS = 'S3RVER'; // s3rver's fixed local key pair

/** Batch steps and events, each with a dead-letter queue as in AWS. */
function pipelineQueues(accountId: string) {
  return ['batches', 'events'].flatMap((q) => [
    { QueueName: `baton-${q}-dlq` },
    {
      QueueName: `baton-${q}`,
      Attributes: {
        VisibilityTimeout: '120',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: `arn:aws:sqs:us-east-1:${accountId}:baton-${q}-dlq`,
          maxReceiveCount: 5,
        }),
      },
    },
  ]);
}

export async function startLocalAws(o: LocalAwsOptions): Promise<LocalAws> {
  const bucket = o.bucket ?? 'baton';
  const { s3, s3Address } = await startS3(o.dataDir, bucket, o.s3Port ?? 0);
  const requests = new RequestCounter();
  if (s3.httpServer) requests.watch(s3.httpServer, 's3');
  const accountId = '000000000000';
  const sqs = await startSqsServer({
    port: o.sqsPort ?? 0,
    hostname: '127.0.0.1',
    accountId,
    emulateQueueCreationLifecycle: false,
    queues: [
      // Webhook deliveries and their retries (the local stack's consumer, or the AWS handler under test).
      { QueueName: 'baton-webhooks' },
      ...pipelineQueues(accountId),
      // Per stage: its queue, its batch lane (read only when the queue is empty), one dead-letter queue.
      ...STAGE_QUEUES.flatMap((q) => [
        { QueueName: `baton-${q}-dlq` },
        ...[`baton-${q}`, `baton-${q}-batch`].map((QueueName) => ({
          QueueName,
          Attributes: {
            VisibilityTimeout: String(o.visibilityTimeoutSeconds ?? 30),
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: `arn:aws:sqs:us-east-1:${accountId}:baton-${q}-dlq`,
              maxReceiveCount: o.maxReceiveCount ?? 3,
            }),
          },
        })),
      ]),
    ] as never,
  });
  sqs.keepAliveTimeout = 65_000;
  requests.watch(sqs, 'sqs');
  const sqsPort = (sqs.address() as AddressInfo).port;
  const sqsEndpoint = `http://127.0.0.1:${sqsPort}`;
  const url = (name: string) => `${sqsEndpoint}/${accountId}/${name}`;
  const dynamo = await startDynamo(join(o.dataDir, '.dynamodb'), o.dynamoPort ?? 0);
  requests.include(dynamo.counts);
  const config: AwsConfig = {
    region: 'us-east-1',
    bucket,
    table: o.table ?? 'baton',
    dynamoEndpoint: dynamo.endpoint,
    queues: Object.fromEntries(STAGE_QUEUES.map((q) => [q, url(`baton-${q}`)])) as Record<StageQueue, string>,
    lanes: Object.fromEntries(STAGE_QUEUES.map((q) => [q, url(`baton-${q}-batch`)])),
    deadLetterQueues: Object.fromEntries(STAGE_QUEUES.map((q) => [q, url(`baton-${q}-dlq`)])),
    batchQueue: url('baton-batches'),
    eventsQueue: url('baton-events'),
    s3Endpoint: `http://127.0.0.1:${s3Address.port}`,
    sqsEndpoint,
    credentials: { accessKeyId: CREDENTIALS, secretAccessKey: CREDENTIALS },
    // Local servers answer in milliseconds: a request silent for 5 s is lost, not slow.
    requestTimeoutMs: 5_000,
  };
  const client = dynamoClient(config);
  await ensureTable(client, config.table);
  client.destroy();
  return {
    config,
    webhookQueueUrl: url('baton-webhooks'),
    requests,
    close: async () => {
      await new Promise<void>((r) => sqs.close(() => r()));
      sqs.closeAllConnections?.();
      await s3.close();
      await dynamo.close();
    },
  };
}

/** s3rver on the data directory, with the fixes it needs to behave as S3 does (s3rver-patches.ts). */
async function startS3(dataDir: string, bucket: string, port: number) {
  mkdirSync(dataDir, { recursive: true });
  const s3 = new S3rver({
    address: '127.0.0.1',
    port,
    directory: dataDir,
    silent: true,
    configureBuckets: [{ name: bucket, configs: [] }],
    vhostBuckets: false,
  });
  honourConditionalWrites(s3);
  keepDirectories(s3);
  listInOnePage(s3);
  refuseUnstorableKeys(s3);
  answerRangesOfEmptyObjects(s3);
  const s3Address = (await s3.run()) as AddressInfo;
  // The SDK keeps sockets alive; a server closing them first (Node's 5 s default) races with
  // reuse and surfaces as "aborted" requests. Keep the local servers' side open longer.
  if (s3.httpServer) s3.httpServer.keepAliveTimeout = 65_000;
  return { s3, s3Address };
}

const DYNAMO_ENTRY = fileURLToPath(new URL('./dynamo-server.ts', import.meta.url));

/**
 * dynalite keeps the table in LevelDB under `path`, so a restart keeps every job and key. It
 * runs in a child process (dynamo-server.ts): a database server beside the API, not inside it.
 */
async function startDynamo(path: string, port: number) {
  mkdirSync(path, { recursive: true });
  const child = fork(DYNAMO_ENTRY, [path, String(port)], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const listening = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port?: number; error?: string; code?: string }) => {
      if (m.port) return resolve(m.port);
      reject(Object.assign(new Error(`the local DynamoDB server: ${m.error}`), { code: m.code, port }));
    });
    child.once('exit', (code) =>
      reject(new Error(`the local DynamoDB server exited (${code}) before listening`)),
    );
  });
  let asked = 0;
  const counts: CountSource = {
    snapshot: () =>
      new Promise<Counts>((resolve) => {
        const id = ++asked;
        const answer = (m: { type?: string; id?: number; counts?: Counts }) => {
          if (m.type !== 'counts' || m.id !== id) return;
          child.off('message', answer);
          resolve(m.counts ?? {});
        };
        child.on('message', answer);
        child.send({ type: 'counts', id });
      }),
    reset: () => child.send({ type: 'reset' }),
  };
  return {
    endpoint: `http://127.0.0.1:${listening}`,
    counts,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
