/**
 * The local SQS server (local-aws-sqs) answers a receive only when it has `max` messages or
 * after 40 ms, even a short poll: each stage hand-off waited ~40 ms, a worker that also
 * polls its lane ~80 ms. Real SQS answers a short poll at once with what it has. This adapter
 * gives the local stack's stage workers that behaviour through the same SQS protocol:
 * - idle (nothing waiting when it asks): a receive of one, answered within the server's 10 ms
 *   tick once a message arrives, then at once what else waits: a lone job waits for no window;
 * - under load (messages piled up while the worker was busy): what waits, up to a batch, at
 *   once (cross-request batching: what piled up during one batch runs as the next);
 * - a lane (read only when the stage queue is empty): nothing, at once, when nothing waits.
 * What waits is read from the queue's attributes, answered at once.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { QueueMessage, SqsQueue } from '@baton/aws';
import type { PollableQueue } from '@baton/queues';

/** Messages waiting and visible. This server counts in-flight messages in ApproximateNumberOfMessages (SQS does not). */
async function visibleOn(queue: SqsQueue): Promise<number> {
  const r = await queue.client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queue.url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const a = r.Attributes ?? {};
  return Math.max(
    0,
    Number(a.ApproximateNumberOfMessages ?? 0) - Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
  );
}

export function promptReceive(queue: SqsQueue, o: { hold: boolean }): PollableQueue {
  return {
    delete: (h) => queue.delete(h),
    extend: (h, s) => queue.extend(h, s),
    async receive(max, wait, visibility, signal): Promise<QueueMessage[]> {
      const waiting = await visibleOn(queue);
      // Work piled up while this worker was busy: take what waits, up to a batch. Asking for no
      // more than is there, the server answers at its next tick rather than holding the receive
      // to fill a batch (a lone message waited ~40 ms that way).
      if (waiting) return queue.receive(Math.min(max, waiting), 0, visibility, signal);
      if (!o.hold) return [];
      // Idle: the first message to arrive is taken at once, with whatever came beside it.
      const first = await queue.receive(1, wait, visibility, signal);
      if (!first.length) return [];
      const more = Math.min(max - 1, await visibleOn(queue));
      return more > 0 ? [...first, ...(await queue.receive(more, 0, visibility, signal))] : first;
    },
  };
}
