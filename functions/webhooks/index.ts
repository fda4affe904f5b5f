/** Webhook delivery queue subscriber: every attempt of every delivery, off the stage workers' path. */
import { lambdaHandler } from '@baton/queues';
import { connectWorker, jsonLogger, webhookConsumer } from '@baton/worker';
import { awsConfig } from '../resources.ts';

const { jobs, webhooks } = connectWorker(awsConfig());

export const handler = lambdaHandler(webhookConsumer(jobs, webhooks, jsonLogger({ service: 'webhooks' })));
