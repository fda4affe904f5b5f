/**
 * Local AWS servers in a process of their own, as the real services are: S3 (s3rver, on the
 * data directory), SQS (local-aws-sqs), DynamoDB (dynalite, on LevelDB), whichever its settings
 * name. Their work runs beside the API's and the workers', not on the API's event loop: a
 * waiter's looks do not hold up a worker's put. Started by local-aws.ts with its settings (JSON,
 * the first argument); it answers `{ ports }` once its servers listen (or `{ error, code,
 * service, port }`), answers request counts when asked, and exits when its parent goes (the IPC
 * channel closes), so a killed stack leaves no orphan.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { STAGE_QUEUES } from '@baton/aws';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { RequestCounter, type Service } from './request-counter.ts';
import {
  answerRangesOfEmptyObjects,
  honourConditionalWrites,
  keepDirectories,
  listInOnePage,
  refuseUnstorableKeys,
} from './s3rver-patches.ts';
import { startSqsServer } from './sqs-patches.ts';

/** What local-aws.ts asks for: which of the servers this process runs, and how. */
export interface ServerSettings {
  services: Service[];
  dataDir: string;
  bucket: string;
  accountId: string;
  ports: Record<Service, number>;
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
}

const settings = JSON.parse(process.argv[2] ?? 'null') as ServerSettings | null;
if (!settings) throw new Error('usage: aws-server.ts SETTINGS_JSON');
const requests = new RequestCounter();

/** A server that failed to listen: the parent says which and on which port. */
function failed(service: Service, e: NodeJS.ErrnoException): never {
  process.send?.({ error: e.message, code: e.code, service, port: settings!.ports[service] });
  process.exit(1);
}

/** A queue whose messages go to `deadLetter` after `maxReceiveCount` receives, as in AWS. */
function redriven(
  accountId: string,
  QueueName: string,
  deadLetter: string,
  visibility: number,
  maxReceiveCount: number,
) {
  return {
    QueueName,
    Attributes: {
      VisibilityTimeout: String(visibility),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: `arn:aws:sqs:us-east-1:${accountId}:${deadLetter}`,
        maxReceiveCount,
      }),
    },
  };
}

/** s3rver on the data directory, with the fixes it needs to behave as S3 does (s3rver-patches.ts). */
async function startS3(s: ServerSettings) {
  mkdirSync(s.dataDir, { recursive: true });
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: s.ports.s3,
    directory: s.dataDir,
    silent: true,
    configureBuckets: [{ name: s.bucket, configs: [] }],
    vhostBuckets: false,
  });
  honourConditionalWrites(s3);
  keepDirectories(s3);
  listInOnePage(s3);
  refuseUnstorableKeys(s3);
  answerRangesOfEmptyObjects(s3);
  const address = (await s3.run().catch((e) => failed('s3', e))) as AddressInfo;
  // The SDK keeps sockets alive; a server closing them first (Node's 5 s default) races with
  // reuse and surfaces as "aborted" requests. Keep the local servers' side open longer.
  if (s3.httpServer) {
    s3.httpServer.keepAliveTimeout = 65_000;
    requests.watch(s3.httpServer, 's3');
  }
  return { s3, port: address.port };
}

async function startSqs(s: ServerSettings) {
  const { accountId } = s;
  const sqs = await startSqsServer({
    port: s.ports.sqs,
    hostname: '127.0.0.1',
    accountId,
    emulateQueueCreationLifecycle: false,
    queues: [
      // Webhook deliveries and their retries (the local stack's consumer, or the AWS handler under test).
      { QueueName: 'baton-webhooks' },
      // Batch steps and events, each with a dead-letter queue.
      ...['batches', 'events'].flatMap((q) => [
        { QueueName: `baton-${q}-dlq` },
        redriven(accountId, `baton-${q}`, `baton-${q}-dlq`, 120, 5),
      ]),
      // Per stage: its queue, its batch lane (read only when the queue is empty), one dead-letter queue.
      ...STAGE_QUEUES.flatMap((q) => [
        { QueueName: `baton-${q}-dlq` },
        ...[`baton-${q}`, `baton-${q}-batch`].map((name) =>
          redriven(accountId, name, `baton-${q}-dlq`, s.visibilityTimeoutSeconds, s.maxReceiveCount),
        ),
      ]),
    ] as never,
  }).catch((e) => failed('sqs', e));
  sqs.keepAliveTimeout = 65_000;
  requests.watch(sqs, 'sqs');
  return { sqs, port: (sqs.address() as AddressInfo).port };
}

/** dynalite keeps the table in LevelDB under the data directory, so a restart keeps every job and key. */
async function startDynamo(s: ServerSettings) {
  const path = join(s.dataDir, '.dynamodb');
  mkdirSync(path, { recursive: true });
  const dynamo = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // The SDK keeps sockets alive; a server closing them first races with reuse.
  dynamo.keepAliveTimeout = 65_000;
  requests.watch(dynamo, 'dynamodb');
  await new Promise<void>((resolve) => {
    dynamo.once('error', (e: NodeJS.ErrnoException) => failed('dynamodb', e));
    dynamo.listen(s.ports.dynamodb, '127.0.0.1', resolve);
  });
  return { dynamo, port: (dynamo.address() as AddressInfo).port };
}

const run = (service: Service) => settings.services.includes(service);
const s3 = run('s3') ? await startS3(settings) : undefined;
const sqs = run('sqs') ? await startSqs(settings) : undefined;
const dynamo = run('dynamodb') ? await startDynamo(settings) : undefined;
// Requests counted here, read by the parent (`npm run bench` prices them).
process.on('message', (m: { type?: string; id?: number }) => {
  if (m.type === 'reset') requests.reset();
  if (m.type === 'counts') process.send?.({ type: 'counts', id: m.id, counts: requests.own() });
});
process.send?.({ ports: { s3: s3?.port, sqs: sqs?.port, dynamodb: dynamo?.port } });
let stopping = false;
const stop = async () => {
  stopping = true;
  if (sqs) {
    await new Promise<void>((r) => sqs.sqs.close(() => r()));
    sqs.sqs.closeAllConnections?.();
  }
  await s3?.s3.close();
  // Not closeAllConnections: a request in flight finishes first (dynalite closes its database with the server).
  if (dynamo) await new Promise<void>((r) => dynamo.dynamo.close(() => r()));
  process.exit(0);
};
// A request that was still on its way when the servers stopped meets a closed database: stopping anyway.
process.on('uncaughtException', (e) => {
  if (!stopping) throw e;
  process.exit(0);
});
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
