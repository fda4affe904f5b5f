/** Local S3 (s3rver, filesystem-backed) and SQS (local-aws-sqs) servers, with the stage queues and their DLQs. */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type AwsConfig, STAGE_QUEUES, type StageQueue } from '@baton/aws';
import { createSqsServer } from 'local-aws-sqs';
import S3rver from 's3rver';
import { honourConditionalWrites, keepDirectories } from './conditional-writes.ts';

export interface LocalAwsOptions {
  dataDir: string;
  s3Port?: number;
  sqsPort?: number;
  bucket?: string;
  /** Receives before a message goes to its dead-letter queue. */
  maxReceiveCount?: number;
  visibilityTimeoutSeconds?: number;
}

export interface LocalAws {
  config: AwsConfig;
  /** A queue for webhook retries, as AWS has (not in `config`: see above). */
  webhookQueueUrl: string;
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
  const s3Address = (await s3.run()) as AddressInfo;
  // The SDK keeps sockets alive; a server closing them first (Node's 5 s default) races with
  // reuse and surfaces as "aborted" requests. Keep the local servers' side open longer.
  if (s3.httpServer) s3.httpServer.keepAliveTimeout = 65_000;
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
  const sqsPort = (sqs.address() as AddressInfo).port;
  const sqsEndpoint = `http://127.0.0.1:${sqsPort}`;
  const url = (name: string) => `${sqsEndpoint}/${accountId}/${name}`;
  const config: AwsConfig = {
    region: 'us-east-1',
    bucket,
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
  return {
    config,
    webhookQueueUrl: url('baton-webhooks'),
    close: async () => {
      await new Promise<void>((r) => sqs.close(() => r()));
      sqs.closeAllConnections?.();
      await s3.close();
    },
  };
}
