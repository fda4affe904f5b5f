/**
 * Local S3 (s3rver, filesystem-backed), SQS (local-aws-sqs) and DynamoDB (dynalite, on
 * LevelDB) servers, with the stage queues and their DLQs and the state table: two child
 * processes run them (aws-server.ts: the database in one, S3 and SQS in the other); this side
 * gives their endpoints as the stack's AWS configuration.
 */

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type AwsConfig, dynamoClient, ensureTable, STAGE_QUEUES, type StageQueue } from '@baton/aws';
import type { ServerSettings } from './aws-server.ts';
import { type CountSource, type Counts, RequestCounter, type Service } from './request-counter.ts';

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

const SERVER_ENTRY = fileURLToPath(new URL('./aws-server.ts', import.meta.url));

const SERVICE_NAMES = { s3: 'S3', sqs: 'SQS', dynamodb: 'DynamoDB' } as const;

export async function startLocalAws(o: LocalAwsOptions): Promise<LocalAws> {
  const bucket = o.bucket ?? 'baton';
  const accountId = '000000000000';
  const common = {
    dataDir: o.dataDir,
    bucket,
    accountId,
    ports: { s3: o.s3Port ?? 0, sqs: o.sqsPort ?? 0, dynamodb: o.dynamoPort ?? 0 },
    maxReceiveCount: o.maxReceiveCount ?? 3,
    visibilityTimeoutSeconds: o.visibilityTimeoutSeconds ?? 30,
  };
  // Two processes: the database on its own (as before), S3 and SQS beside it.
  const started = await Promise.allSettled([
    startServers({ ...common, services: ['s3', 'sqs'] }),
    startServers({ ...common, services: ['dynamodb'] }),
  ]);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((r) => r.status === 'fulfilled' && r.value.close()));
    throw (failed as PromiseRejectedResult).reason;
  }
  const [files, db] = started.map((r) => (r as PromiseFulfilledResult<Servers>).value) as [Servers, Servers];
  const ports = { ...files.ports, ...db.ports } as Record<Service, number>;
  const close = async () => {
    await Promise.all([files.close(), db.close()]);
  };
  const requests = new RequestCounter();
  requests.include(files.counts);
  requests.include(db.counts);
  const sqsEndpoint = `http://127.0.0.1:${ports.sqs}`;
  const url = (name: string) => `${sqsEndpoint}/${accountId}/${name}`;
  const config: AwsConfig = {
    region: 'us-east-1',
    bucket,
    table: o.table ?? 'baton',
    dynamoEndpoint: `http://127.0.0.1:${ports.dynamodb}`,
    queues: Object.fromEntries(STAGE_QUEUES.map((q) => [q, url(`baton-${q}`)])) as Record<StageQueue, string>,
    lanes: Object.fromEntries(STAGE_QUEUES.map((q) => [q, url(`baton-${q}-batch`)])),
    deadLetterQueues: Object.fromEntries(STAGE_QUEUES.map((q) => [q, url(`baton-${q}-dlq`)])),
    batchQueue: url('baton-batches'),
    eventsQueue: url('baton-events'),
    s3Endpoint: `http://127.0.0.1:${ports.s3}`,
    sqsEndpoint,
    credentials: { accessKeyId: CREDENTIALS, secretAccessKey: CREDENTIALS },
    // Local servers answer in milliseconds: a request silent for 5 s is lost, not slow.
    requestTimeoutMs: 5_000,
  };
  const client = dynamoClient(config);
  await ensureTable(client, config.table).catch(async (e) => {
    await close();
    throw e;
  });
  client.destroy();
  return { config, webhookQueueUrl: url('baton-webhooks'), requests, close };
}

type Servers = Awaited<ReturnType<typeof startServers>>;

/**
 * Some of the servers in a child process (aws-server.ts): beside the API, not inside it. Its
 * request counts come over the IPC channel.
 */
async function startServers(settings: ServerSettings) {
  const child = fork(SERVER_ENTRY, [JSON.stringify(settings)], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  type Answer = {
    ports?: Partial<Record<Service, number>>;
    error?: string;
    code?: string;
    service?: Service;
    port?: number;
  };
  const ports = await new Promise<Partial<Record<Service, number>>>((resolve, reject) => {
    child.once('message', (m: Answer) => {
      if (m.ports) return resolve(m.ports);
      const name = SERVICE_NAMES[m.service ?? 'dynamodb'];
      reject(
        Object.assign(new Error(`the local ${name} server: ${m.error}`), { code: m.code, port: m.port }),
      );
    });
    child.once('exit', (code) =>
      reject(new Error(`the local AWS servers exited (${code}) before listening`)),
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
    ports,
    counts,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
