/** Webhook retry queue subscriber: delivers failed webhooks again after their backoff. */
import { sqsWebhookRetryHandler, wire } from '@baton/jobs';
import { awsConfig } from '../resources.ts';

const { jobs, webhooks } = wire(awsConfig());

export const handler = sqsWebhookRetryHandler(jobs, webhooks);
