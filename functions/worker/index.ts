/** SQS-triggered Lambda entry of one stage worker (BATON_STAGE_QUEUE), with partial batch responses. */

import { config } from '@baton/config';
import { connectJobs, parseStageMessage } from '@baton/jobs';
import { lambdaHandler } from '@baton/queues';
import { jsonLogger, stageConsumer } from '@baton/worker';
import { createStageWorker, warmStage } from '@baton/worker/stage-process';
import { awsConfig } from '../resources.ts';

const c = config();
const aws = awsConfig(c);
const stage = c.BATON_STAGE_QUEUE;

export const worker = createStageWorker({
  config: aws,
  settings: c,
  log: jsonLogger({ service: 'worker', queue: stage }),
  metrics: true,
});

// The stage's model sessions load during the function's init (top-level await), not in its first job.
if (stage) await warmStage(c, stage);

// A batch given back for want of time goes straight back on its queue (a batch line to its lane).
const { enqueue } = connectJobs(aws);

// The event source mapping decides the batch (infra/queues.ts); the visibility is the queue's.
export const handler = lambdaHandler(stageConsumer(worker, { batchSize: 10, visibilityTimeoutSeconds: 60 }), {
  requeue: async (body: string) => enqueue(parseStageMessage(body)),
});
