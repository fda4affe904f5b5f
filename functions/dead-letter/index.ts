/** Dead-letter queue subscriber: marks each job whose stage gave up as failed. */
import { sqsDeadLetterHandler, wire } from '@baton/jobs';
import { awsConfig } from '../resources.ts';

const { jobs, webhooks } = wire(awsConfig());

export const handler = sqsDeadLetterHandler(jobs, Number(process.env.BATON_MAX_RECEIVE_COUNT ?? 3), webhooks);
