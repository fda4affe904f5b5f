/** Webhook delivery queue subscriber: every attempt of every delivery, off the stage workers' path. */
import { connectWorker, sqsWebhookDeliveryHandler } from '@baton/worker';
import { awsConfig } from '../resources.ts';

const { jobs, webhooks } = connectWorker(awsConfig());

export const handler = sqsWebhookDeliveryHandler(jobs, webhooks);
