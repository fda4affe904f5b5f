/**
 * Stage workers. Profile `cpu`: a Lambda subscriber per stage queue (partial batch
 * responses on). Profile `gpu`: see gpu.ts. Either way each dead-letter queue gets a
 * small function that marks the job failed.
 */
import { config, STAGES, type Stage } from './config';
import { modelLambda } from './lambda-package';
import { deadLetterQueues, lanes, queues, sendQueues, webhookQueue } from './queues';
import { bucket, table } from './storage';

// Stage workers announce job state changes on the events queue.
const link = [table, bucket, ...sendQueues];

const workerFunction = (stage: Stage) => ({
  handler: 'functions/worker/index.handler',
  runtime: 'nodejs22.x' as const,
  timeout: `${config.workerTimeoutSeconds} seconds` as const,
  memory: `${config.workerMemoryMb} MB` as const,
  link,
  // The model family and the native ONNX runtime travel beside the bundle, not inside it.
  ...modelLambda,
  environment: { ...modelLambda.environment, BATON_STAGE_QUEUE: stage },
});

const batching = {
  size: config.batchSize,
  window: `${config.batchWindowSeconds} seconds` as const,
  partialResponses: true,
};

export const workers =
  config.profile === 'cpu'
    ? STAGES.flatMap((stage) => [
        queues[stage].subscribe(workerFunction(stage), { batch: batching }),
        // Batch lines: the same worker, at most LANE_CONCURRENCY invocations at once per stage, so
        // that interactive work keeps the rest of the account's concurrency.
        lanes[stage].subscribe(workerFunction(stage), {
          batch: batching,
          transform: {
            eventSourceMapping: (a) => {
              a.scalingConfig = { maximumConcurrency: config.laneConcurrency };
            },
          },
        }),
      ])
    : [];

for (const stage of STAGES) {
  deadLetterQueues[stage].subscribe(
    {
      handler: 'functions/dead-letter/index.handler',
      runtime: 'nodejs22.x',
      timeout: '30 seconds',
      link,
      environment: { BATON_MAX_RECEIVE_COUNT: String(config.maxReceiveCount) },
    },
    { batch: { size: 10, partialResponses: true } },
  );
}

// Failed webhook deliveries come back after their backoff (SQS delay), whatever the profile.
webhookQueue.subscribe(
  {
    handler: 'functions/webhooks/index.handler',
    runtime: 'nodejs22.x',
    timeout: '60 seconds',
    link,
  },
  { batch: { size: 10, partialResponses: true } },
);

// A message lost between accepting a job and enqueueing it (or a stage stuck longer than its
// visibility allows) is found by the sweep and its stage enqueued again; duplicates are harmless.
new sst.aws.CronV2('Sweep', {
  schedule: 'rate(5 minutes)',
  function: {
    handler: 'functions/sweep/index.handler',
    runtime: 'nodejs22.x',
    timeout: '5 minutes',
    link,
    environment: {
      BATON_STALE_AFTER_MS: String(Math.max(15 * 60_000, 12 * config.workerTimeoutSeconds * 1000)),
    },
  },
});
