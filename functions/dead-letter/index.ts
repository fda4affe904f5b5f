/** Dead-letter queue subscriber: marks each job whose stage gave up as failed. */
import { JobStore, sqsDeadLetterHandler, WebhookSender, wire } from '@baton/jobs';
import { awsConfig } from '../resources.ts';

const { store } = wire(awsConfig());

export const handler = sqsDeadLetterHandler(
  new JobStore(store),
  Number(process.env.BATON_MAX_RECEIVE_COUNT ?? 3),
  new WebhookSender({ store }),
);
