/** SQS-triggered Lambda entry of one stage worker (BATON_STAGE_QUEUE), with partial batch responses. */
import { SqsQueue } from '@baton/aws';
import { config } from '@baton/config';
import { jsonLogger, sqsWorkerHandler } from '@baton/worker';
import { createStageWorker } from '@baton/worker/stage-process';
import { awsConfig } from '../resources.ts';

const aws = awsConfig();
const stage = config().BATON_STAGE_QUEUE;

export const worker = createStageWorker({
  config: aws,
  log: jsonLogger({ service: 'worker', queue: stage }),
  metrics: true,
});

// A batch given back for want of time goes straight back on this stage's queue.
const queue = stage ? new SqsQueue(aws, aws.queues[stage]) : undefined;

export const handler = sqsWorkerHandler(worker, {
  ...(queue && { requeue: async (body: string) => void (await queue.sendRaw(body)) }),
});
