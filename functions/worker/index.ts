/** SQS-triggered Lambda entry of one stage worker (BATON_STAGE_QUEUE), with partial batch responses. */
import { config } from '@baton/config';
import { jsonLogger, sqsWorkerHandler } from '@baton/worker';
import { createStageWorker } from '@baton/worker/stage-process';
import { awsConfig } from '../resources.ts';

export const worker = createStageWorker({
  config: awsConfig(),
  log: jsonLogger({ service: 'worker', queue: config().BATON_STAGE_QUEUE }),
  metrics: true,
});

export const handler = sqsWorkerHandler(worker);
