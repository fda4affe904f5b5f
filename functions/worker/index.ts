/** SQS-triggered Lambda entry of one stage worker (BATON_STAGE_QUEUE), with partial batch responses. */
import { jsonLogger, sqsWorkerHandler } from '@baton/jobs';
import { createStageWorker } from '@baton/jobs/stage-process';
import { awsConfig } from '../resources.ts';

export const worker = createStageWorker({
  config: awsConfig(),
  log: jsonLogger({ service: 'worker', queue: process.env.BATON_STAGE_QUEUE }),
  metrics: true,
});

export const handler = sqsWorkerHandler(worker);
