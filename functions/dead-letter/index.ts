/** Dead-letter queue subscriber: marks each job whose stage gave up as failed. */
import { JobStore, sqsDeadLetterHandler, WebhookSender } from '@baton/jobs';
import { awsConfig } from '../resources.ts';
import { wire } from '../wire.ts';

const { store } = wire(awsConfig());

export const handler = sqsDeadLetterHandler(
  new JobStore(store),
  Number(process.env.BATON_MAX_RECEIVE_COUNT ?? 3),
  new WebhookSender({ store }),
);
