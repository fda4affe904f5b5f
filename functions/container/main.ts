/**
 * The GPU container's entry: a long-running poller for one stage queue
 * (BATON_STAGE_QUEUE). Resources come from SST links (SST_RESOURCE_* in the task
 * definition), or from BATON_* variables when run against the local stack.
 * SIGTERM: stop receiving, finish the batch in hand, or give it back after the grace period.
 */
import { type AwsConfig, configFromEnv, SqsQueue, STAGE_QUEUES, type StageQueue } from '@baton/aws';
import { emfLine, jsonLogger, Poller, StageWorker, WebhookSender } from '@baton/jobs';
import { defaultCascade } from '@baton/pipeline';
import { wire } from '../wire.ts';

const stage = (process.env.BATON_STAGE_QUEUE ?? process.argv[2]) as StageQueue;
if (!STAGE_QUEUES.includes(stage)) {
  console.error(`BATON_STAGE_QUEUE must be one of ${STAGE_QUEUES.join(', ')}`);
  process.exit(2);
}

async function config(): Promise<AwsConfig> {
  if (process.env.BATON_BUCKET) return configFromEnv();
  const { awsConfig } = await import('../resources.ts');
  return awsConfig();
}

const aws = await config();
const { jobs, enqueue } = wire(aws);
const log = jsonLogger({ service: 'container-worker', queue: stage, pid: process.pid });
const abort = new AbortController();
process.on('SIGTERM', () => {
  log('worker.sigterm');
  abort.abort();
});
process.on('SIGINT', () => abort.abort());

const worker = new StageWorker({
  jobs,
  enqueue,
  cascade: defaultCascade,
  log,
  webhooks: new WebhookSender({ store: jobs.store }),
  onMetrics: (m) => process.stdout.write(`${emfLine(m)}\n`),
});
const poller = new Poller({
  queue: new SqsQueue(aws, aws.queues[stage]),
  worker,
  log,
  batchSize: Number(process.env.BATON_BATCH_SIZE ?? 8),
  waitSeconds: Number(process.env.BATON_WAIT_SECONDS ?? 20),
  visibilityTimeoutSeconds: Number(process.env.BATON_VISIBILITY_SECONDS ?? 120),
  heartbeatSeconds: Number(process.env.BATON_HEARTBEAT_SECONDS ?? 30),
  graceMs: Number(process.env.BATON_GRACE_MS ?? 25_000),
  signal: abort.signal,
});
await (await defaultCascade()).family.warm();
log('worker.ready');
await poller.run();
log('worker.exit');
process.exit(0);
