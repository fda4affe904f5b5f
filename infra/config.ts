/**
 * Deployment knobs, from the environment at `sst deploy` time (see docs/deploy.md).
 * Everything here has a default that works for the embedded shapes-v1 model.
 */
const env = (k: string, d: string) => process.env[k] ?? d;
const num = (k: string, d: number) => {
  const v = Number(env(k, String(d)));
  if (!Number.isFinite(v)) throw new Error(`${k} must be a number`);
  return v;
};

export const config = {
  /** cpu: Lambda subscribers (default). gpu: ECS services on EC2 GPU instances. */
  profile: env('BATON_PROFILE', 'cpu') as 'cpu' | 'gpu',
  /** Where dead-letter alarms are mailed (an SNS topic with this subscription); none: alarms in the console only. */
  alarmEmail: env('BATON_ALARM_EMAIL', ''),
  /** Deliveries before a stage message goes to its dead-letter queue. */
  maxReceiveCount: num('BATON_MAX_RECEIVE_COUNT', 3),
  /** A stage worker's time limit (s); queues hide a message 6× as long. */
  workerTimeoutSeconds: num('BATON_WORKER_TIMEOUT_SECONDS', 120),
  workerMemoryMb: num('BATON_WORKER_MEMORY_MB', 3008),
  /** Messages per batched model call, and how long Lambda gathers a batch. */
  batchSize: num('BATON_BATCH_SIZE', 8),
  /**
   * How long a stage's event source mapping gathers messages before invoking (s). 0: a lone job
   * never waits for a window; under load a receive still returns what is waiting (up to the
   * batch size), so batches form by themselves.
   */
  batchWindowSeconds: num('BATON_BATCH_WINDOW_SECONDS', 0),
  expireLatentsDays: num('BATON_EXPIRE_LATENTS_DAYS', 1),
  expireImagesDays: num('BATON_EXPIRE_IMAGES_DAYS', 30),
  expireUsageDays: num('BATON_EXPIRE_USAGE_DAYS', 400),
  /** How long POST /v1/images/generations waits before answering 202 (ms). */
  syncWaitMs: num('BATON_SYNC_WAIT_MS', 25_000),
  /** How long CloudFront (the Router) waits for the API's answer (s; CloudFront allows 1…60). */
  routerReadTimeoutSeconds: num('BATON_ROUTER_READ_TIMEOUT_SECONDS', 60),
  /** Per-key limits the API enforces. */
  ratePerMinute: num('BATON_RATE_PER_MINUTE', 120),
  maxConcurrentJobs: num('BATON_MAX_CONCURRENT_JOBS', 16),
  /** Base-stage messages waiting past which the API refuses new work at once (503). */
  maxBacklog: num('BATON_MAX_BACKLOG', 200),
  /** A key's batch lines running at once, across all its batches. */
  batchInFlight: num('BATON_BATCH_IN_FLIGHT', 64),
  /** Profile cpu: worker invocations at once per stage for batch lines (Lambda allows 2 and up). */
  laneConcurrency: Math.max(2, num('BATON_LANE_CONCURRENCY', 2)),
  /** Days batch files (inputs, outputs) and records are kept; inbox and outbox objects too. */
  expireBatchesDays: num('BATON_EXPIRE_BATCHES_DAYS', 30),
  gpu: {
    instanceType: env('BATON_GPU_INSTANCE_TYPE', 'g5.xlarge'),
    maxInstances: num('BATON_GPU_MAX_INSTANCES', 6),
    /**
     * Tasks one stage may run: the three stages together fit the instance group (one GPU per
     * task, one per g5.xlarge), so one stage cannot take every instance from the others.
     */
    maxTasksPerStage: Math.max(1, Math.floor(num('BATON_GPU_MAX_INSTANCES', 6) / 3)),
    /** The image built from functions/container/Dockerfile and pushed to ECR (one tag per stage). */
    image: env('BATON_GPU_IMAGE', ''),
    /** Visible messages per running task before scaling out. */
    messagesPerTask: num('BATON_GPU_MESSAGES_PER_TASK', 8),
    /** Minutes a stage's queue and lane stay empty (nothing waiting, nothing in flight) before its tasks go to zero. */
    idleMinutes: num('BATON_GPU_IDLE_MINUTES', 15),
  },
};

if (config.profile !== 'cpu' && config.profile !== 'gpu')
  throw new Error(`BATON_PROFILE must be cpu or gpu, not ${config.profile}`);
if (config.batchSize < 1 || config.batchSize > 10) throw new Error('BATON_BATCH_SIZE must be in 1…10 (SQS)');
// The synchronous images endpoint must answer (202 at the latest) before CloudFront gives up on it.
if (config.syncWaitMs / 1000 + 5 > config.routerReadTimeoutSeconds || config.routerReadTimeoutSeconds > 60) {
  throw new Error(
    `BATON_SYNC_WAIT_MS (${config.syncWaitMs} ms) + 5 s must fit in the Router's read timeout (${config.routerReadTimeoutSeconds} s, at most 60)`,
  );
}
if (config.expireLatentsDays >= config.expireImagesDays) {
  throw new Error('BATON_EXPIRE_LATENTS_DAYS must be shorter than BATON_EXPIRE_IMAGES_DAYS');
}

export const STAGES = ['base', 'relay', 'decode'] as const;
export type Stage = (typeof STAGES)[number];
