/**
 * The local stack's webhook delivery consumer (in AWS, a Lambda subscribes to the queue): takes
 * delivery attempts off the queue and makes them concurrently, at most `perHost` at a time per
 * receiver and `maxInFlight` in all, so a receiver that never answers holds a few slots and
 * nothing else. Stage workers only enqueue.
 */
import type { SqsQueue } from '@baton/aws';
import type { JobStore } from '@baton/jobs';
import { deliverMessage, type Logger, PerKeyLimit, type WebhookSender } from '@baton/worker';

export function consumeWebhooks(
  queue: SqsQueue,
  jobs: JobStore,
  webhooks: WebhookSender,
  log: Logger,
  o: { perHost?: number; maxInFlight?: number } = {},
): { stop(): Promise<void> } {
  const abort = new AbortController();
  const limit = new PerKeyLimit(o.perHost ?? 4);
  const maxInFlight = o.maxInFlight ?? 32;
  const inFlight = new Set<Promise<void>>();
  const loop = async () => {
    while (!abort.signal.aborted) {
      if (inFlight.size >= maxInFlight) {
        await Promise.race(inFlight);
        continue;
      }
      try {
        // Hidden long enough for an attempt that waits its turn behind a slow receiver.
        for (const m of await queue.receive(Math.min(10, maxInFlight - inFlight.size), 1, 120)) {
          const p = deliverMessage(jobs, webhooks, limit, m.body)
            .then((done) => (done ? queue.delete(m.receiptHandle) : undefined))
            .catch((e) => log('stack.webhook_error', { messageId: m.id, error: String(e) }))
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
      } catch (e) {
        if (!abort.signal.aborted) log('stack.webhook_queue_error', { error: String(e) });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const running = loop();
  return {
    stop: async () => {
      abort.abort();
      await running;
      await Promise.allSettled([...inFlight]);
    },
  };
}
