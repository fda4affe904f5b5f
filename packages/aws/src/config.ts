/**
 * Where the bucket and queues are. In AWS the values come from SST's linked
 * resources; locally from the stack's environment. Only endpoints and
 * credentials differ: the same adapters talk to both.
 */

export const STAGE_QUEUES = ['base', 'relay', 'decode'] as const;
export type StageQueue = (typeof STAGE_QUEUES)[number];

export interface AwsConfig {
  region: string;
  bucket: string;
  /** Queue URL per stage, and per stage's dead-letter queue. */
  queues: Record<StageQueue, string>;
  deadLetterQueues?: Partial<Record<StageQueue, string>>;
  /** Failed webhook deliveries wait here for their retry (in AWS; absent locally, where workers wait themselves). */
  webhookQueue?: string;
  /** Local servers: S3 and SQS endpoints and fixed credentials. Absent in AWS. */
  s3Endpoint?: string;
  sqsEndpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** A storage request unanswered this long fails and is retried (default 15 s; local servers: less). */
  requestTimeoutMs?: number;
}

/** Reads BATON_* variables, as the local stack sets them for its processes. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AwsConfig {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new Error(`environment variable ${k} is not set`);
    return v;
  };
  const queues = Object.fromEntries(
    STAGE_QUEUES.map((q) => [q, need(`BATON_QUEUE_${q.toUpperCase()}`)]),
  ) as Record<StageQueue, string>;
  const dlq = Object.fromEntries(
    STAGE_QUEUES.flatMap((q) => {
      const v = env[`BATON_DLQ_${q.toUpperCase()}`];
      return v ? [[q, v]] : [];
    }),
  );
  return {
    region: env.AWS_REGION ?? 'us-east-1',
    bucket: need('BATON_BUCKET'),
    queues,
    deadLetterQueues: dlq,
    ...(env.BATON_WEBHOOK_QUEUE && { webhookQueue: env.BATON_WEBHOOK_QUEUE }),
    ...connectionFromEnv(env),
  };
}

/**
 * How to reach the services, from the environment: the storage timeout, and local endpoints
 * and credentials (which point the same code at the local stack's servers; unset in AWS).
 */
export function connectionFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Pick<AwsConfig, 's3Endpoint' | 'sqsEndpoint' | 'credentials' | 'requestTimeoutMs'> {
  return {
    ...(env.BATON_S3_ENDPOINT && { s3Endpoint: env.BATON_S3_ENDPOINT }),
    ...(env.BATON_SQS_ENDPOINT && { sqsEndpoint: env.BATON_SQS_ENDPOINT }),
    ...(env.BATON_AWS_TIMEOUT_MS && { requestTimeoutMs: Number(env.BATON_AWS_TIMEOUT_MS) }),
    ...(env.BATON_LOCAL_CREDENTIALS && {
      credentials: { accessKeyId: env.BATON_LOCAL_CREDENTIALS, secretAccessKey: env.BATON_LOCAL_CREDENTIALS },
    }),
  };
}

export function configToEnv(c: AwsConfig): Record<string, string> {
  const env: Record<string, string> = { AWS_REGION: c.region, BATON_BUCKET: c.bucket };
  for (const q of STAGE_QUEUES) {
    env[`BATON_QUEUE_${q.toUpperCase()}`] = c.queues[q];
    const d = c.deadLetterQueues?.[q];
    if (d) env[`BATON_DLQ_${q.toUpperCase()}`] = d;
  }
  if (c.webhookQueue) env.BATON_WEBHOOK_QUEUE = c.webhookQueue;
  if (c.s3Endpoint) env.BATON_S3_ENDPOINT = c.s3Endpoint;
  if (c.sqsEndpoint) env.BATON_SQS_ENDPOINT = c.sqsEndpoint;
  if (c.credentials) env.BATON_LOCAL_CREDENTIALS = c.credentials.accessKeyId;
  if (c.requestTimeoutMs) env.BATON_AWS_TIMEOUT_MS = String(c.requestTimeoutMs);
  return env;
}
