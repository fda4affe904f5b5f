/** Dead-letter queue subscriber: marks each job whose stage gave up as failed. */
import { config } from '@baton/config';
import { connectWorker, sqsDeadLetterHandler } from '@baton/worker';
import { awsConfig } from '../resources.ts';

const { jobs, webhooks } = connectWorker(awsConfig());

export const handler = sqsDeadLetterHandler(jobs, config().BATON_MAX_RECEIVE_COUNT, webhooks);
