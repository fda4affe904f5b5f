/**
 * Webhook deliveries, signed as Standard Webhooks does: headers webhook-id,
 * webhook-timestamp and webhook-signature = "v1," + base64(HMAC-SHA256(secret,
 * "{id}.{timestamp}.{body}")), the secret being the base64 after "whsec_". Failed
 * deliveries are retried with backoff; every attempt is logged on the job.
 *
 * With a delivery queue (`queue`: in AWS and in the local stack) nothing is sent on a stage
 * worker's path: `send` only enqueues the first attempt, and the queue's own consumer
 * (`deliverQueued`) makes every attempt, a failed one going back on the queue with its
 * backoff as the message delay. One tenant's receiver that never answers delays nobody
 * else's job. (WebhookRetry messages carry no secret: the consumer reads the job's webhook
 * from its request.) Without a queue (a one-process tool) attempts run here, in the background.
 */
import {
  type AllowList,
  type DeliveryRecord,
  type JobRequestRef,
  sign,
  type WebhookEvent,
  type WebhookRetry,
  type WebhookSink,
  type WebhookSpec,
} from '@baton/jobs';
import { postWebhook } from './webhook-post.ts';

export interface WebhookOptions {
  /** Records each attempt in the job's delivery log. */
  record: (jobId: string, d: DeliveryRecord) => Promise<void>;
  /** Delays before each retry (ms); attempts = delays + 1. */
  backoffMs?: number[];
  /** One attempt's time limit (ms). */
  timeoutMs?: number;
  /** Hosts admitted although private (local development); none by default. */
  allowedHosts?: AllowList;
  now?: () => number;
  /** The delivery queue: an attempt to make after `delaySeconds`, by the queue's consumer. */
  queue?: (attempt: WebhookRetry, delaySeconds: number) => Promise<void>;
}

/** The job store's webhook sink: it calls `send` with each transition (job-store.ts). */
export class WebhookSender implements WebhookSink {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly o: WebhookOptions) {}

  /** Starts a delivery (enqueues it, or attempts it in the background) if the job asked for this webhook. */
  send(request: JobRequestRef, event: WebhookEvent, data: Record<string, unknown>, idSuffix = ''): void {
    const hook = request.webhook;
    if (!hook?.events.includes(event)) return;
    const p = this.deliver(request.id, hook, event, data, idSuffix).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits for what `send` started: enqueues (with a queue), else attempts (a Lambda must before it returns). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /** The delivery queue's consumer: attempts a queued delivery (and queues the next on failure). */
  /** The same attempt, on the delivery queue again after `delaySeconds` (its receiver is busy). */
  async putOff(r: WebhookRetry, delaySeconds: number): Promise<void> {
    if (!this.o.queue) throw new Error('putOff needs the delivery queue');
    await this.o.queue(r, delaySeconds);
  }

  async deliverQueued(request: JobRequestRef, r: WebhookRetry): Promise<void> {
    const hook = request.webhook;
    if (!hook || request.id !== r.jobId) return;
    await this.attempts(r.jobId, hook, r.event, r.messageId, r.body, r.attempt);
  }

  private async deliver(
    jobId: string,
    hook: WebhookSpec,
    event: WebhookEvent,
    data: Record<string, unknown>,
    idSuffix: string,
  ) {
    const now = this.o.now ?? Date.now;
    // Deterministic per event: a receiver can drop duplicates from a redelivered stage.
    const messageId = `msg_${jobId}_${event}${idSuffix}`;
    const body = JSON.stringify({
      type: `job.${event}`,
      timestamp: new Date(now()).toISOString(),
      data: { id: jobId, ...data },
    });
    if (this.o.queue) await this.o.queue({ v: 1, jobId, event, messageId, body, attempt: 1 }, 0);
    else await this.attempts(jobId, hook, event, messageId, body, 1);
  }

  /** Attempt `first`, then the rest of the backoff: waited out here, or each handed to the queue. */
  private async attempts(
    jobId: string,
    hook: WebhookSpec,
    event: WebhookEvent,
    messageId: string,
    body: string,
    first: number,
  ) {
    const delays = this.o.backoffMs ?? [1000, 2000, 4000, 8000];
    for (let attempt = first; attempt <= delays.length + 1; attempt++) {
      if (await this.attempt(jobId, hook, event, messageId, body, attempt)) return;
      const delay = delays[attempt - 1];
      if (delay === undefined) return;
      if (this.o.queue) {
        const retry: WebhookRetry = { v: 1, jobId, event, messageId, body, attempt: attempt + 1 };
        await this.o.queue(retry, Math.ceil(delay / 1000));
        return;
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** One signed POST, logged on the job; true when the receiver answered 2xx. */
  private async attempt(
    jobId: string,
    hook: WebhookSpec,
    event: WebhookEvent,
    messageId: string,
    body: string,
    attempt: number,
  ): Promise<boolean> {
    const now = this.o.now ?? Date.now;
    const ts = Math.floor(now() / 1000);
    let status: number | null = null;
    let error: string | undefined;
    try {
      const headers = {
        'content-type': 'application/json',
        'webhook-id': messageId,
        'webhook-timestamp': String(ts),
        'webhook-signature': sign(hook.secret, messageId, ts, body),
      };
      status = await postWebhook(hook.url, headers, body, {
        timeoutMs: this.o.timeoutMs ?? 5000,
        allow: this.o.allowedHosts ?? new Set(),
      });
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const ok = status !== null && status >= 200 && status < 300;
    const record: DeliveryRecord = {
      event,
      messageId,
      url: hook.url,
      attempt,
      status,
      ok,
      ...(error && { error }),
      at: now(),
    };
    await this.o.record(jobId, record).catch(() => undefined);
    return ok;
  }
}
