/** Webhook delivery queue subscriber: every attempt of every delivery, off the stage workers' path. */

import { config } from '@baton/config';
import { lambdaHandler } from '@baton/queues';
import { connectWorker, jsonLogger, webhookConsumer, webhookSettings } from '@baton/worker';
import { awsConfig } from '../resources.ts';

const c = config();
const { jobs, webhooks } = connectWorker(awsConfig(c), webhookSettings(c));

export const handler = lambdaHandler(webhookConsumer(jobs, webhooks, jsonLogger({ service: 'webhooks' })));
