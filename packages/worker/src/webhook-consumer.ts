/**
 * The delivery queue's consumer: each message is one attempt of one webhook delivery. Attempts
 * to the same receiver (host) run at most `perHost` at a time, so one tenant's slow receiver
 * holds at most that many slots; each attempt has its own time limit (WebhookSender's timeoutMs).
 * Used by the Lambda subscriber in AWS and by the local stack's consumer loop.
 */
import { type JobStore, parseWebhookRetry } from '@baton/jobs';
import type { WebhookSender } from './webhooks.ts';

/** At most `max` tasks at once per key; the rest wait their turn, in order. */
export class PerKeyLimit {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`max must be ≥ 1 but is ${max}`);
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    if ((this.running.get(key) ?? 0) >= this.max) {
      await new Promise<void>((r) => this.waiting.set(key, [...(this.waiting.get(key) ?? []), r]));
    }
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
    try {
      return await task();
    } finally {
      const n = (this.running.get(key) ?? 1) - 1;
      if (n === 0) this.running.delete(key);
      else this.running.set(key, n);
      const next = this.waiting.get(key)?.shift();
      if (this.waiting.get(key)?.length === 0) this.waiting.delete(key);
      next?.();
    }
  }
}

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/**
 * Makes the attempt one queue message asks for. Resolves true when the message is done with
 * (delivered, failed and re-queued with its backoff, or not a delivery at all), false when it
 * should come back (the job could not be read).
 */
export async function deliverMessage(
  jobs: JobStore,
  webhooks: WebhookSender,
  limit: PerKeyLimit,
  body: string,
): Promise<boolean> {
  const attempt = parseWebhookRetry(body);
  if (!attempt) return true;
  try {
    const request = await jobs.request(attempt.jobId);
    const url = request?.webhook?.url;
    if (!request || !url) return true;
    await limit.run(hostOf(url), () => webhooks.deliverQueued(request, attempt));
    return true;
  } catch {
    return false;
  }
}
