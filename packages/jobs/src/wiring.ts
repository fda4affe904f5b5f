/** Builds the production objects from an AwsConfig: the same wiring locally and in AWS. */
import { type AwsConfig, S3BlobStore, SqsQueue, type StageQueue } from '@baton/aws';
import { type Enqueue, JobStore } from './job-store.ts';
import { WebhookSender } from './webhooks.ts';

export function queueOf(stage: string): StageQueue {
  if (stage === 'base' || stage === 'decode') return stage;
  if (/^relay\d+$/.test(stage)) return 'relay';
  throw new RangeError(`no queue for stage "${stage}"`);
}

/** SQS delays a message at most 15 minutes. */
const MAX_DELAY_SECONDS = 900;

export function wire(config: AwsConfig, env: Record<string, string | undefined> = process.env) {
  const store = new S3BlobStore(config);
  const jobs = new JobStore(store);
  const queues = {
    base: new SqsQueue(config, config.queues.base),
    relay: new SqsQueue(config, config.queues.relay),
    decode: new SqsQueue(config, config.queues.decode),
  };
  const enqueue: Enqueue = async (msg) => {
    await queues[queueOf(msg.stage)].send(msg);
  };
  // With a webhook queue (in AWS), failed deliveries wait there, not in a Lambda invocation.
  const retryQueue = config.webhookQueue ? new SqsQueue(config, config.webhookQueue) : undefined;
  const backoff = env.BATON_WEBHOOK_BACKOFF_MS?.split(',').map(Number);
  const webhooks = new WebhookSender({
    store,
    ...(backoff ? { backoffMs: backoff } : retryQueue && { backoffMs: [10_000, 60_000, 300_000, 900_000] }),
    ...(retryQueue && {
      scheduleRetry: async (retry, seconds) => {
        await retryQueue.send(retry, Math.min(MAX_DELAY_SECONDS, seconds));
      },
    }),
  });
  return { store, jobs, queues, enqueue, webhooks };
}
