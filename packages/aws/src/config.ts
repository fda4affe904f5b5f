/**
 * Where the bucket and queues are. In AWS the values come from SST's linked
 * resources; locally from the stack's environment. Only endpoints and
 * credentials differ: the same adapters talk to both.
 */
import { type Config, ConfigError } from '@baton/config';

export const STAGE_QUEUES = ['base', 'relay', 'decode'] as const;
export type StageQueue = (typeof STAGE_QUEUES)[number];

export interface AwsConfig {
  region: string;
  /** Bytes: latents, images, previews, files, batch inputs and outputs, the inbox and outbox. */
  bucket: string;
  /** State: jobs, quotas, idempotency keys, usage, API keys, batches (state-table.ts). */
  table: string;
  /** Queue URL per stage, and per stage's dead-letter queue. */
  queues: Record<StageQueue, string>;
  /**
   * Per stage, the queue of batch lines: a worker reads it only when its stage queue is empty,
   * so interactive work goes first. Absent: batch lines share the stage queues.
   */
  lanes?: Partial<Record<StageQueue, string>>;
  deadLetterQueues?: Partial<Record<StageQueue, string>>;
  /** Failed webhook deliveries wait here for their retry (in AWS; absent locally, where workers wait themselves). */
  webhookQueue?: string;
  /** Batch steps (fan-out, settle, finalize), and events on their way to the bus. */
  batchQueue?: string;
  eventsQueue?: string;
  /** Local servers: S3 and SQS endpoints and fixed credentials. Absent in AWS. */
  s3Endpoint?: string;
  sqsEndpoint?: string;
  dynamoEndpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** A storage request unanswered this long fails and is retried (default 15 s; local servers: less). */
  requestTimeoutMs?: number;
}

/** Where the bucket and queues are, from the configuration (as the local stack sets it for its processes). */
export function configFromEnv(c: Config): AwsConfig {
  const need = <
    K extends
      | 'BATON_BUCKET'
      | 'BATON_TABLE'
      | 'BATON_QUEUE_BASE'
      | 'BATON_QUEUE_RELAY'
      | 'BATON_QUEUE_DECODE',
  >(
    k: K,
  ) => {
    const v = c[k];
    if (!v) throw new ConfigError(k, `environment variable ${k} is not set`);
    return v;
  };
  const dlq = { base: c.BATON_DLQ_BASE, relay: c.BATON_DLQ_RELAY, decode: c.BATON_DLQ_DECODE };
  const lanes = { base: c.BATON_LANE_BASE, relay: c.BATON_LANE_RELAY, decode: c.BATON_LANE_DECODE };
  return {
    region: c.AWS_REGION,
    bucket: need('BATON_BUCKET'),
    table: need('BATON_TABLE'),
    queues: {
      base: need('BATON_QUEUE_BASE'),
      relay: need('BATON_QUEUE_RELAY'),
      decode: need('BATON_QUEUE_DECODE'),
    },
    deadLetterQueues: Object.fromEntries(Object.entries(dlq).filter(([, v]) => v)),
    ...(Object.values(lanes).some(Boolean) && {
      lanes: Object.fromEntries(Object.entries(lanes).filter(([, v]) => v)),
    }),
    ...(c.BATON_WEBHOOK_QUEUE && { webhookQueue: c.BATON_WEBHOOK_QUEUE }),
    ...(c.BATON_BATCH_QUEUE && { batchQueue: c.BATON_BATCH_QUEUE }),
    ...(c.BATON_EVENTS_QUEUE && { eventsQueue: c.BATON_EVENTS_QUEUE }),
    ...connectionOf(c),
  };
}

/**
 * How to reach the services: the storage timeout, and local endpoints and credentials (which
 * point the same code at the local stack's servers; unset in AWS).
 */
export function connectionOf(
  c: Config,
): Pick<AwsConfig, 's3Endpoint' | 'sqsEndpoint' | 'dynamoEndpoint' | 'credentials' | 'requestTimeoutMs'> {
  return {
    ...(c.BATON_DYNAMODB_ENDPOINT && { dynamoEndpoint: c.BATON_DYNAMODB_ENDPOINT }),
    ...(c.BATON_S3_ENDPOINT && { s3Endpoint: c.BATON_S3_ENDPOINT }),
    ...(c.BATON_SQS_ENDPOINT && { sqsEndpoint: c.BATON_SQS_ENDPOINT }),
    requestTimeoutMs: c.BATON_AWS_TIMEOUT_MS,
    ...(c.BATON_LOCAL_CREDENTIALS && {
      credentials: { accessKeyId: c.BATON_LOCAL_CREDENTIALS, secretAccessKey: c.BATON_LOCAL_CREDENTIALS },
    }),
  };
}

/** Attempts per call, the SDK's standard retry strategy deciding what is retried and how long to wait. */
export const MAX_ATTEMPTS = 4;

/**
 * How every client talks to its service: a request unanswered for `timeoutMs` fails (and is
 * retried). Without this a request the server stops answering hangs its caller (a worker, the
 * API) until the server gives up: the SDK's requestTimeout only warns unless told to throw.
 */
export function clientOptions(
  config: Pick<AwsConfig, 'region' | 'credentials'>,
  endpoint: string | undefined,
  timeoutMs: number,
) {
  return {
    region: config.region,
    requestHandler: {
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: timeoutMs,
      connectionTimeout: Math.min(3_000, timeoutMs),
    },
    ...(endpoint && { endpoint }),
    ...(config.credentials && { credentials: config.credentials }),
  };
}

export function configToEnv(c: AwsConfig): Record<string, string> {
  const env: Record<string, string> = { AWS_REGION: c.region, BATON_BUCKET: c.bucket, BATON_TABLE: c.table };
  for (const q of STAGE_QUEUES) {
    env[`BATON_QUEUE_${q.toUpperCase()}`] = c.queues[q];
    const d = c.deadLetterQueues?.[q];
    if (d) env[`BATON_DLQ_${q.toUpperCase()}`] = d;
    const lane = c.lanes?.[q];
    if (lane) env[`BATON_LANE_${q.toUpperCase()}`] = lane;
  }
  if (c.webhookQueue) env.BATON_WEBHOOK_QUEUE = c.webhookQueue;
  if (c.batchQueue) env.BATON_BATCH_QUEUE = c.batchQueue;
  if (c.eventsQueue) env.BATON_EVENTS_QUEUE = c.eventsQueue;
  if (c.s3Endpoint) env.BATON_S3_ENDPOINT = c.s3Endpoint;
  if (c.sqsEndpoint) env.BATON_SQS_ENDPOINT = c.sqsEndpoint;
  if (c.dynamoEndpoint) env.BATON_DYNAMODB_ENDPOINT = c.dynamoEndpoint;
  if (c.credentials) env.BATON_LOCAL_CREDENTIALS = c.credentials.accessKeyId;
  if (c.requestTimeoutMs) env.BATON_AWS_TIMEOUT_MS = String(c.requestTimeoutMs);
  return env;
}
