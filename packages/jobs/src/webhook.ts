/**
 * Webhooks as the job model knows them: the events, what a job asks for, the log of
 * attempts, the retry message, and the signature (Standard Webhooks: "v1," +
 * base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}")), the secret being the base64
 * after "whsec_"). Sending them is the worker side's (@baton/worker).
 */
import { createHmac } from 'node:crypto';

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

/**
 * Where a job's webhook deliveries go (the worker side's sender): the job store calls it with
 * each transition the job asked to hear about; sending, signing and retrying are the sink's.
 */
export interface WebhookSink {
  send(request: JobRequestRef, event: WebhookEvent, data: Record<string, unknown>, idSuffix?: string): void;
}

/** What a sink needs of a job: its id and webhook. */
export interface JobRequestRef {
  id: string;
  webhook?: WebhookSpec;
}

export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** A delivery to attempt again (a queue message: the body is sent as it was first signed). */
export interface WebhookRetry {
  v: 1;
  jobId: string;
  event: WebhookEvent;
  messageId: string;
  body: string;
  attempt: number;
}

export function parseWebhookRetry(body: string): WebhookRetry | null {
  try {
    const r = JSON.parse(body) as Partial<WebhookRetry>;
    const ok =
      r.v === 1 &&
      typeof r.jobId === 'string' &&
      WEBHOOK_EVENTS.includes(r.event as WebhookEvent) &&
      typeof r.messageId === 'string' &&
      typeof r.body === 'string' &&
      Number.isInteger(r.attempt) &&
      r.attempt! >= 1;
    return ok ? (r as WebhookRetry) : null;
  } catch {
    return null;
  }
}
