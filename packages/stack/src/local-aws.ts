/**
 * Local S3 (s3rver, filesystem-backed), SQS (local-aws-sqs) and DynamoDB (dynalite, on
 * LevelDB) servers, with the stage queues and their DLQs and the state table.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type AwsConfig, dynamoClient, ensureTable, STAGE_QUEUES, type StageQueue } from '@baton/aws';
import dynalite from 'dynalite';
import { createSqsServer } from 'local-aws-sqs';
import S3rver from 's3rver';
import { RequestCounter } from './request-counter.ts';
import { honourConditionalWrites, keepDirectories, listInOnePage } from './s3rver-patches.ts';

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
  mkdirSync(o.dataDir, { recursive: true });
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: o.s3Port ?? 0,
    directory: o.dataDir,
    silent: true,
    configureBuckets: [{ name: bucket, configs: [] }],
    vhostBuckets: false,
  });
  honourConditionalWrites(s3);
  keepDirectories(s3);
  listInOnePage(s3);
  const s3Address = (await s3.run()) as AddressInfo;
  // The SDK keeps sockets alive; a server closing them first (Node's 5 s default) races with
  // reuse and surfaces as "aborted" requests. Keep the local servers' side open longer.
  if (s3.httpServer) s3.httpServer.keepAliveTimeout = 65_000;
  const requests = new RequestCounter();
  if (s3.httpServer) requests.watch(s3.httpServer, 's3');
  const accountId = '000000000000';
  const sqs = await createSqsServer({
    port: o.sqsPort ?? 0,
    hostname: '127.0.0.1',
    accountId,
    emulateQueueCreationLifecycle: false,
    queues: [
      // Webhook deliveries and their retries (the local stack's consumer, or the AWS handler under test).
      { QueueName: 'baton-webhooks' },
      ...pipelineQueues(accountId),
      ...STAGE_QUEUES.flatMap((q) => [
        { QueueName: `baton-${q}-dlq` },
        {
          QueueName: `baton-${q}`,
          Attributes: {
            VisibilityTimeout: String(o.visibilityTimeoutSeconds ?? 30),
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: `arn:aws:sqs:us-east-1:${accountId}:baton-${q}-dlq`,
              maxReceiveCount: o.maxReceiveCount ?? 3,
            }),
          },
        },
      ]),
    ] as never,
  });
  sqs.keepAliveTimeout = 65_000;
  requests.watch(sqs, 'sqs');
  const sqsPort = (sqs.address() as AddressInfo).port;
  const sqsEndpoint = `http://127.0.0.1:${sqsPort}`;
  const url = (name: string) => `${sqsEndpoint}/${accountId}/${name}`;
  const dynamo = await startDynamo(join(o.dataDir, '.dynamodb'), o.dynamoPort ?? 0);
  requests.watch(dynamo.server, 'dynamodb');
  const config: AwsConfig = {
    region: 'us-east-1',
    bucket,
    table: o.table ?? 'baton',
    dynamoEndpoint: dynamo.endpoint,
    queues: Object.fromEntries(STAGE_QUEUES.map((q) => [q, url(`baton-${q}`)])) as Record<StageQueue, string>,
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

/**
 * dynalite keeps the table in LevelDB under `path`, so a restart keeps every job and key.
 * Tables are usable at once (no simulated CREATING state).
 */
async function startDynamo(path: string, port: number) {
  mkdirSync(path, { recursive: true });
  const server: Server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject); // EADDRINUSE: the caller says which port
    server.listen(port, '127.0.0.1', () => resolve());
  });
  server.keepAliveTimeout = 65_000;
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    endpoint,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
      // dynalite closes its LevelDB when the server closes; give it the turn to finish.
      await new Promise((r) => setImmediate(r));
    },
  };
}
