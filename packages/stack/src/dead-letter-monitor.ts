/** The local stack's dead-letter monitor: a message in a stage's dead-letter queue marks its job failed. */
import type { SqsQueue } from '@baton/aws';
import type { JobStore } from '@baton/jobs';
import { type Logger, markDeadLetter, type WebhookSender } from '@baton/worker';

export function watchDeadLetters(
  queues: readonly SqsQueue[],
  jobs: JobStore,
  maxReceiveCount: number,
  webhooks: WebhookSender,
  log: Logger,
): { stop(): Promise<void> } {
  const abort = new AbortController();
  const watch = async (queue: SqsQueue) => {
    while (!abort.signal.aborted) {
      try {
        for (const m of await queue.receive(10, 1)) {
          // One message that cannot be marked must not hold up the others in the batch.
          try {
            const marked = await markDeadLetter(jobs, m.body, m.id, maxReceiveCount, webhooks);
            log('stack.dead_letter', { messageId: m.id, ...marked });
            await queue.delete(m.receiptHandle);
          } catch (e) {
            log('stack.dlq_error', { messageId: m.id, error: String(e) });
          }
        }
      } catch (e) {
        if (!abort.signal.aborted) log('stack.dlq_error', { error: String(e) });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const loops = queues.map(watch);
  return {
    stop: async () => {
      abort.abort();
      await Promise.allSettled(loops);
    },
  };
}
