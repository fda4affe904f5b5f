/** Dead-letter queue subscriber: marks each job whose stage gave up as failed. */
import { config } from '@baton/config';
import { lambdaHandler } from '@baton/queues';
import { connectWorker, deadLetterConsumer, jsonLogger, webhookSettings } from '@baton/worker';
import { awsConfig } from '../resources.ts';

const c = config();
const { jobs, webhooks } = connectWorker(awsConfig(c), webhookSettings(c));

export const handler = lambdaHandler(
  deadLetterConsumer(jobs, c.BATON_MAX_RECEIVE_COUNT, webhooks, jsonLogger({ service: 'dead-letter' })),
);
