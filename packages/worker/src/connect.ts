/** The worker side's production objects: the job model's, plus the webhook sender. */
import { type AwsConfig, DynamoStateTable, SqsQueue } from '@baton/aws';
import { config as settings } from '@baton/config';
import { connectJobs, parseAllowList, putDelivery, RETENTION } from '@baton/jobs';
import { WebhookSender } from './webhooks.ts';

/** SQS delays a message at most 15 minutes. */
const MAX_DELAY_SECONDS = 900;

export interface WorkerConnectOptions {
  /** Webhook retry delays (ms): BATON_WEBHOOK_BACKOFF_MS, else minutes apart with a webhook queue. */
  webhookBackoffMs?: number[];
  /** Webhook hosts admitted although private: BATON_WEBHOOK_ALLOWED_HOSTS by default. */
  webhookAllowedHosts?: readonly string[];
}

export function connectWorker(config: AwsConfig, o: WorkerConnectOptions = {}) {
  const table = new DynamoStateTable(config);
  // With a webhook queue (in AWS and the local stack), deliveries are made by its consumer, never by a stage worker.
  const retryQueue = config.webhookQueue ? new SqsQueue(config, config.webhookQueue) : undefined;
  const backoffMs =
    o.webhookBackoffMs ??
    settings().BATON_WEBHOOK_BACKOFF_MS ??
    (retryQueue ? [10_000, 60_000, 300_000, 900_000] : undefined);
  // The sender logs each attempt on its job; the job store calls the sender with each transition.
  const webhooks = new WebhookSender({
    record: (id, d) => putDelivery(table, id, d, RETENTION.jobDays),
    allowedHosts: parseAllowList(o.webhookAllowedHosts ?? settings().BATON_WEBHOOK_ALLOWED_HOSTS),
    ...(backoffMs && { backoffMs }),
    ...(retryQueue && {
      queue: async (attempt, seconds) => {
        await retryQueue.send(attempt, Math.min(MAX_DELAY_SECONDS, seconds));
      },
    }),
  });
  return { ...connectJobs(config, { table, webhooks }), webhooks };
}
