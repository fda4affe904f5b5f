/** SQS-triggered Lambda entry of one stage worker (BATON_STAGE_QUEUE), with partial batch responses. */
import { emfLine, jsonLogger, StageWorker, sqsWorkerHandler, WebhookSender } from '@baton/jobs';
import { defaultCascade } from '@baton/pipeline';
import { awsConfig } from '../resources.ts';
import { wire } from '../wire.ts';

const { jobs, enqueue } = wire(awsConfig());
const log = jsonLogger({ service: 'worker', queue: process.env.BATON_STAGE_QUEUE });

export const worker = new StageWorker({
  jobs,
  enqueue,
  cascade: defaultCascade,
  log,
  webhooks: new WebhookSender({ store: jobs.store }),
  onMetrics: (m) => process.stdout.write(`${emfLine(m)}\n`),
});

export const handler = sqsWorkerHandler(worker);
