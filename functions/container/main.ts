/**
 * The GPU container's entry: a long-running poller for one stage queue
 * (BATON_STAGE_QUEUE). Resources come from SST links (SST_RESOURCE_* in the task
 * definition), or from BATON_* variables when run against the local stack.
 * SIGTERM: stop receiving, finish the batch in hand, or give it back after the grace period.
 */
import { type AwsConfig, configFromEnv, STAGE_QUEUES, type StageQueue } from '@baton/aws';
import { forDeployment, config as settings } from '@baton/config';
import { G5_XLARGE_PRICE_PER_SECOND, jsonLogger } from '@baton/worker';
import { runStageProcess } from '@baton/worker/stage-process';

const c = forDeployment(settings(), 'container');
const stage = (c.BATON_STAGE_QUEUE ?? process.argv[2]) as StageQueue;
if (!STAGE_QUEUES.includes(stage)) {
  console.error(`BATON_STAGE_QUEUE must be one of ${STAGE_QUEUES.join(', ')}`);
  process.exit(2);
}

async function config(): Promise<AwsConfig> {
  if (c.BATON_BUCKET) return configFromEnv(c);
  const { awsConfig } = await import('../resources.ts');
  return awsConfig(c);
}

const log = jsonLogger({ service: 'container-worker', queue: stage, pid: process.pid });
await runStageProcess({
  stage,
  config: await config(),
  settings: c,
  log,
  metrics: true,
  pricePerComputeSecond: G5_XLARGE_PRICE_PER_SECOND,
});
log('worker.exit');
process.exit(0);
