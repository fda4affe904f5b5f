/**
 * Webhook deliveries, signed as Standard Webhooks does: headers webhook-id,
 * webhook-timestamp and webhook-signature = "v1," + base64(HMAC-SHA256(secret,
 * "{id}.{timestamp}.{body}")), the secret being the base64 after "whsec_". Failed
 * deliveries are retried with backoff; every attempt is logged on the job.
 */
import { createHmac } from 'node:crypto';
import type { BlobStore } from '@baton/aws';
import type { JobRequest } from './records.ts';

export const WEBHOOK_EVENTS = ['started', 'progress', 'completed', 'failed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookSpec {
  url: string;
  events: WebhookEvent[];
  secret: string;
}

export interface DeliveryRecord {
  event: WebhookEvent;
  messageId: string;
  url: string;
  attempt: number;
  status: number | null;
  ok: boolean;
  error?: string;
  at: number;
}

export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export interface WebhookOptions {
  store: BlobStore;
  /** Delays before each retry (ms); attempts = delays + 1. */
  backoffMs?: number[];
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

export class WebhookSender {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly o: WebhookOptions) {}

  /** Starts a delivery (with its retries) if the job asked for this event. */
  send(request: JobRequest, event: WebhookEvent, data: Record<string, unknown>, idSuffix = ''): void {
    const hook = request.webhook;
    if (!hook?.events.includes(event)) return;
    const p = this.deliver(request.id, hook, event, data, idSuffix).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits for deliveries in flight (a Lambda handler must before it returns). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
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
    const delays = this.o.backoffMs ?? [1000, 2000, 4000, 8000];
    for (let attempt = 1; attempt <= delays.length + 1; attempt++) {
      const ts = Math.floor(now() / 1000);
      let status: number | null = null;
      let error: string | undefined;
      try {
        const res = await (this.o.fetch ?? fetch)(hook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': messageId,
            'webhook-timestamp': String(ts),
            'webhook-signature': sign(hook.secret, messageId, ts, body),
          },
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
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
      await this.o.store
        .put(
          `jobs/${jobId}/webhooks/${String(record.at).padStart(13, '0')}-${event}-${attempt}.json`,
          JSON.stringify(record),
          'application/json',
        )
        .catch(() => undefined);
      if (ok) return;
      const delay = delays[attempt - 1];
      if (delay === undefined) return;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
