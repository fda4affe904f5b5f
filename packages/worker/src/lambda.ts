/**
 * SQS-triggered Lambda handlers around a StageWorker, with partial batch responses:
 * only the messages that should be retried come back in batchItemFailures.
 */
import { TransientError } from '@baton/aws';
import type { JobStore } from '@baton/jobs';
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { markDeadLetter } from './dead-letter.ts';
import { deliverMessage, PerKeyLimit } from './webhook-consumer.ts';
import type { WebhookSender } from './webhooks.ts';
import type { StageWorker } from './worker.ts';

/** The part of Lambda's context the handlers read (tests pass just this). */
export type LambdaContext = Pick<Context, 'getRemainingTimeInMillis'>;

export interface WorkerHandlerOptions {
  /** Stop between steps when less than this is left (ms). */
  marginMs?: number;
  /**
   * Sends a message body to its stage queue again. A batch given back for want of time goes
   * back this way: visible at once (not after the queue's visibility timeout), and with a fresh
   * receive count (a deadline is not a failure, so it must not lead to the dead-letter queue).
   */
  requeue?: (body: string) => Promise<void>;
}

/** Stops between steps when less than `marginMs` is left, so the batch is handed back rather than killed. */
export function sqsWorkerHandler(worker: StageWorker, o: WorkerHandlerOptions = {}) {
  const marginMs = o.marginMs ?? 10_000;
  return async (event: SQSEvent, context?: LambdaContext): Promise<SQSBatchResponse> => {
    let outOfTime = false;
    const betweenSteps = () => {
      if (context && context.getRemainingTimeInMillis() < marginMs) {
        outOfTime = true;
        throw new TransientError(`less than ${marginMs} ms left in this invocation`);
      }
    };
    const result = await worker.handle(
      event.Records.map((r) => ({
        id: r.messageId,
        body: r.body,
        receiveCount: Number(r.attributes.ApproximateReceiveCount ?? 1),
        ...(r.attributes.SentTimestamp && { sentAt: Number(r.attributes.SentTimestamp) }),
      })),
      { betweenSteps },
    );
    const retry = new Set(result.retry);
    if (outOfTime && o.requeue) {
      // Sent again, then acknowledged: if a send fails, that message stays a batch item failure.
      for (const r of event.Records.filter((r) => retry.has(r.messageId))) {
        if (
          await o.requeue(r.body).then(
            () => true,
            () => false,
          )
        )
          retry.delete(r.messageId);
      }
    }
    return { batchItemFailures: [...retry].map((id) => ({ itemIdentifier: id })) };
  };
}

export function sqsDeadLetterHandler(jobs: JobStore, maxReceiveCount: number, webhooks?: WebhookSender) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: SQSBatchItemFailure[] = [];
    for (const r of event.Records) {
      try {
        await markDeadLetter(jobs, r.body, r.messageId, maxReceiveCount, webhooks);
      } catch {
        failures.push({ itemIdentifier: r.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}

/**
 * The webhook delivery queue's subscriber: one attempt per message (the next, if any, goes
 * back on the queue with its delay). A message that is not a delivery, or whose job is gone,
 * is dropped; a storage error brings the message back.
 */
export function sqsWebhookDeliveryHandler(jobs: JobStore, webhooks: WebhookSender, perHost = 4) {
  const limit = new PerKeyLimit(perHost);
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const done = await Promise.all(event.Records.map((r) => deliverMessage(jobs, webhooks, limit, r.body)));
    return {
      batchItemFailures: event.Records.filter((_, i) => !done[i]).map((r) => ({
        itemIdentifier: r.messageId,
      })),
    };
  };
}
