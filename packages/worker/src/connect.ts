/** The worker side's production objects: the job model's, plus the webhook sender. */
import { type AwsConfig, DynamoStateTable, SqsQueue } from '@baton/aws';
import type { Config } from '@baton/config';
import { connectJobs, parseAllowList, putDelivery, RETENTION } from '@baton/jobs';
import { WebhookSender } from './webhooks.ts';

/** SQS delays a message at most 15 minutes. */
const MAX_DELAY_SECONDS = 900;

export interface WorkerConnectOptions {
  /** Webhook retry delays (ms); minutes apart with a webhook queue by default. */
  webhookBackoffMs?: number[] | undefined;
  /** Webhook hosts admitted although private; none by default. */
  webhookAllowedHosts?: readonly string[] | undefined;
}

/** The webhook settings an entry point's configuration gives (BATON_WEBHOOK_BACKOFF_MS, BATON_WEBHOOK_ALLOWED_HOSTS). */
export const webhookSettings = (
  c: Pick<Config, 'BATON_WEBHOOK_BACKOFF_MS' | 'BATON_WEBHOOK_ALLOWED_HOSTS'>,
): WorkerConnectOptions => ({
  webhookBackoffMs: c.BATON_WEBHOOK_BACKOFF_MS,
  webhookAllowedHosts: c.BATON_WEBHOOK_ALLOWED_HOSTS,
});

export function connectWorker(config: AwsConfig, o: WorkerConnectOptions = {}) {
  const table = new DynamoStateTable(config);
  // With a webhook queue (in AWS and the local stack), deliveries are made by its consumer, never by a stage worker.
  const retryQueue = config.webhookQueue ? new SqsQueue(config, config.webhookQueue) : undefined;
  const backoffMs = o.webhookBackoffMs ?? (retryQueue ? [10_000, 60_000, 300_000, 900_000] : undefined);
  // The sender logs each attempt on its job; the job store calls the sender with each transition.
  const webhooks = new WebhookSender({
    record: (id, d) => putDelivery(table, id, d, RETENTION.jobDays),
    allowedHosts: parseAllowList(o.webhookAllowedHosts),
    ...(backoffMs && { backoffMs }),
    ...(retryQueue && {
      queue: async (attempt, seconds) => {
        await retryQueue.send(attempt, Math.min(MAX_DELAY_SECONDS, seconds));
      },
    }),
  });
  return { ...connectJobs(config, { table, webhooks }), webhooks };
}
