/**
 * The delivery queue's consumer: each message is one attempt of one webhook delivery. A
 * tenant's attempts to one receiver (host) run at most `perHost` at a time in a consumer; the
 * rest are put off on the queue, so one tenant's slow receiver holds at most that many slots;
 * each attempt has its own time limit (WebhookSender's timeoutMs).
 * Used by the Lambda subscriber in AWS and by the local stack's consumer loop.
 */
import { type JobStore, parseWebhookRetry } from '@baton/jobs';
import type { WebhookSender } from './webhooks.ts';

/** At most `max` tasks at once per key: a task over the limit is not started (the caller puts it off). */
export class PerKeyLimit {
  private readonly running = new Map<string, number>();

  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`max must be ≥ 1 but is ${max}`);
  }

  /** Runs `task` and returns true, or returns false at once when `key` already has `max` running. */
  async tryRun(key: string, task: () => Promise<unknown>): Promise<boolean> {
    const n = this.running.get(key) ?? 0;
    if (n >= this.max) return false;
    this.running.set(key, n + 1);
    try {
      await task();
      return true;
    } finally {
      const left = (this.running.get(key) ?? 1) - 1;
      if (left === 0) this.running.delete(key);
      else this.running.set(key, left);
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

/** An attempt put off because its tenant's receiver is busy comes back after this (s). */
export const BUSY_DELAY_SECONDS = 2;

/**
 * Makes the attempt one queue message asks for. Resolves true when the message is done with
 * (delivered, failed and re-queued with its backoff, put off because the tenant's receiver
 * already has `max` attempts running, or not a delivery at all), false when it should come back
 * (the job could not be read). An attempt put off is sent again as a new message (the same
 * attempt, after BUSY_DELAY_SECONDS), so it holds no consumer slot while it waits and does not
 * count towards the queue's receive limit.
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
    // Per tenant and receiver: a tenant's hanging receiver holds its own few slots, nobody else's.
    const key = `${request.owner ?? ''} ${hostOf(url)}`;
    if (!(await limit.tryRun(key, () => webhooks.deliverQueued(request, attempt))))
      await webhooks.putOff(attempt, BUSY_DELAY_SECONDS);
    return true;
  } catch {
    return false;
  }
}
