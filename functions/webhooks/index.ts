/** Webhook retry queue subscriber: delivers failed webhooks again after their backoff. */
import { connectWorker, sqsWebhookRetryHandler } from '@baton/worker';
import { awsConfig } from '../resources.ts';

const { jobs, webhooks } = connectWorker(awsConfig());

export const handler = sqsWebhookRetryHandler(jobs, webhooks);
