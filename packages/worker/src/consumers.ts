/**
 * The worker side's queue consumers, declared once; `@baton/queues` runs them in Lambda and in
 * the long-poll loop alike: a stage queue (the stage worker, a batch at a time), a stage's
 * dead-letter queue (its job is marked failed), the webhook delivery queue (one attempt each).
 */
import { type JobStore, tenantOfBody } from '@baton/jobs';
import { type Consumer, eachMessage } from '@baton/queues';
import { markDeadLetter } from './dead-letter.ts';
import type { Logger } from './logger.ts';
import { deliverMessage, PerKeyLimit } from './webhook-consumer.ts';
import type { WebhookSender } from './webhooks.ts';
import type { StageWorker } from './worker.ts';

export interface StageConsumerSettings {
  /** Messages run together through the cascade (cross-request batching): 1…10. */
  batchSize: number;
  visibilityTimeoutSeconds: number;
  retryDelaySeconds?: number;
}

/** A stage queue: every batch goes through the stage worker whole (it batches the model's calls). */
export function stageConsumer(worker: StageWorker, s: StageConsumerSettings): Consumer {
  return {
    name: 'stage',
    batchSize: s.batchSize,
    visibilityTimeoutSeconds: s.visibilityTimeoutSeconds,
    ...(s.retryDelaySeconds !== undefined && { retryDelaySeconds: s.retryDelaySeconds }),
    // Fair turns between tenants where the poller reads ahead (the local stack); SQS fair queues in AWS.
    tenantOf: tenantOfBody,
    handle: (messages, turn) => worker.handle(messages, turn),
  };
}

/** A stage's dead-letter queue: the job whose stage gave up is marked failed (once). */
export function deadLetterConsumer(
  jobs: JobStore,
  maxReceiveCount: number,
  webhooks: WebhookSender | undefined,
  log: Logger,
): Consumer {
  return eachMessage({
    name: 'dead-letter',
    parse: (body) => body,
    handle: async (body, r) => {
      const marked = await markDeadLetter(jobs, body, r.id, maxReceiveCount, webhooks);
      log('worker.dead_letter', { messageId: r.id, ...marked });
    },
    log,
  });
}

/**
 * The webhook delivery queue: one attempt per message (the next, if any, goes back on the queue
 * with its delay), at most `perHost` at a time per receiver and `maxInFlight` in all, so a
 * receiver that never answers holds a few slots and nothing else.
 */
export function webhookConsumer(
  jobs: JobStore,
  webhooks: WebhookSender,
  log: Logger,
  o: { perHost?: number; maxInFlight?: number } = {},
): Consumer {
  const limit = new PerKeyLimit(o.perHost ?? 4);
  return eachMessage({
    name: 'webhooks',
    parse: (body) => body,
    handle: async (body) => ((await deliverMessage(jobs, webhooks, limit, body)) ? undefined : 'retry'),
    maxInFlight: o.maxInFlight ?? 32,
    // Hidden long enough for an attempt that waits its turn behind a slow receiver.
    visibilityTimeoutSeconds: 120,
    retryDelaySeconds: 1,
    log,
  });
}
