/**
 * The local SQS server (local-aws-sqs) answers a receive only when it has `max` messages or
 * after 40 ms, even a short poll: each stage hand-off waited ~40 ms, a worker that also
 * polls its lane ~80 ms. Real SQS answers a short poll at once with what it has. This adapter
 * gives the local stack's stage workers that behaviour through the same SQS protocol:
 * - a receive of one, answered at the server's next 10 ms tick once a message is there (a lone
 *   job waits for no window), then at once what else waits, up to a batch (cross-request
 *   batching: what piled up while the worker was busy runs as one batch);
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

/** How long a lane found empty is not asked again (ms): batch work waits that much more, at most. */
const LANE_RECHECK_MS = 100;

export function promptReceive(queue: SqsQueue, o: { hold: boolean }): PollableQueue {
  let emptyAt = Number.NEGATIVE_INFINITY;
  return {
    delete: (h) => queue.delete(h),
    extend: (h, s) => queue.extend(h, s),
    async receive(max, wait, visibility, signal): Promise<QueueMessage[]> {
      if (!o.hold) {
        // A lane: what waits, at once, else nothing; asked at most every LANE_RECHECK_MS while
        // empty, so an idle worker goes back to its stage queue's receive without a round trip.
        if (Date.now() - emptyAt < LANE_RECHECK_MS) return [];
        const waiting = await visibleOn(queue);
        if (!waiting) emptyAt = Date.now();
        // Asking for no more than is there, the server answers at its next tick rather than
        // holding the receive to fill a batch.
        return waiting ? queue.receive(Math.min(max, waiting), 0, visibility, signal) : [];
      }
      // The first message is taken at the server's next tick (10 ms) once it is there, whether
      // it was waiting or arrives during the receive; then whatever waits beside it, up to a
      // batch (work piled up while this worker was busy runs as one batch).
      const first = await queue.receive(1, wait, visibility, signal);
      if (!first.length) return [];
      const more = Math.min(max - 1, await visibleOn(queue));
      return more > 0 ? [...first, ...(await queue.receive(more, 0, visibility, signal))] : first;
    },
  };
}
