/**
 * The Lambda adapter: a consumer as an SQS-triggered handler with partial batch responses
 * (only the messages to retry come back in batchItemFailures; the mapping needs
 * ReportBatchItemFailures, infra/queues.ts). A consumer of independent messages (`eachMessage`)
 * runs through Powertools' BatchProcessor, records in parallel. A consumer that handles its
 * batch whole (the stage worker batches the model's calls across messages) runs here: near the
 * invocation's deadline it is stopped between steps, and its batch is sent back to its queue at
 * once when `requeue` is given.
 */

import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { TransientError } from '@baton/aws';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Consumer, Received } from './consumer.ts';

/** The part of Lambda's context the adapter reads (tests pass just this). */
export type LambdaContext = Pick<Context, 'getRemainingTimeInMillis'>;

export interface LambdaOptions {
  /** Stop between steps when less than this is left (ms). */
  marginMs?: number;
  /**
   * Sends a message body to its queue again. A batch given back for want of time goes back this
   * way: visible at once (not after the visibility timeout), and with a fresh receive count (a
   * deadline is not a failure, so it must not lead to the dead-letter queue).
   */
  requeue?: (body: string) => Promise<void>;
}

const received = (r: SQSRecord): Received => ({
  id: r.messageId,
  body: r.body,
  receiveCount: Number(r.attributes?.ApproximateReceiveCount ?? 1),
  ...(r.attributes?.SentTimestamp && { sentAt: Number(r.attributes.SentTimestamp) }),
});

export function lambdaHandler(consumer: Consumer, o: LambdaOptions = {}) {
  const one = consumer.one;
  if (one) {
    const processor = new BatchProcessor(EventType.SQS);
    return (event: SQSEvent, context?: LambdaContext): Promise<SQSBatchResponse> =>
      processPartialResponse(event, (r: SQSRecord) => one(received(r)), processor, {
        ...(context && { context: context as Context }),
        // Every message failing is a batch of retries, not an error of the invocation.
        throwOnFullBatchFailure: false,
      });
  }
  return wholeBatch(consumer, o);
}

function wholeBatch(consumer: Consumer, o: LambdaOptions) {
  const marginMs = o.marginMs ?? 10_000;
  return async (event: SQSEvent, context?: LambdaContext): Promise<SQSBatchResponse> => {
    let outOfTime = false;
    const betweenSteps = async () => {
      if (context && context.getRemainingTimeInMillis() < marginMs) {
        outOfTime = true;
        throw new TransientError(`less than ${marginMs} ms left in this invocation`);
      }
    };
    const messages = event.Records.map(received);
    let retry: Set<string>;
    try {
      retry = new Set((await consumer.handle(messages, { betweenSteps })).retry);
    } catch {
      retry = new Set(messages.map((m) => m.id));
    }
    if (outOfTime && o.requeue) {
      for (const r of event.Records.filter((r) => retry.has(r.messageId))) {
        // Sent again, then acknowledged: if a send fails, that message stays a batch item failure.
        const sent = await o.requeue(r.body).then(
          () => true,
          () => false,
        );
        if (sent) retry.delete(r.messageId);
      }
    }
    return { batchItemFailures: [...retry].map((id) => ({ itemIdentifier: id })) };
  };
}
