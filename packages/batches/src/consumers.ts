/**
 * The batch pipeline's queue consumers, declared once; `@baton/queues` runs them in Lambda and
 * in the local stack alike: the batch queue (one look at one batch per message), the events
 * queue (each change published once), the intake queue (S3 notifications of inbox objects).
 */
import type { EventBus } from '@baton/aws';
import { parseEventMessage } from '@baton/jobs';
import { type Consumer, eachMessage } from '@baton/queues';
import type { S3Event } from 'aws-lambda';
import type { BatchContext, BatchMessage } from './context.ts';
import { publishEvent } from './events.ts';
import { advanceBatch } from './fanout.ts';
import { intakeObject } from './inbox.ts';

type Log = (event: string, fields?: Record<string, unknown>) => void;

/** Parses a batch queue message; null for anything else (dropped, never retried). */
export function parseBatchMessage(body: string): BatchMessage | null {
  try {
    const m = JSON.parse(body) as Partial<BatchMessage>;
    return m && m.v === 1 && typeof m.batchId === 'string' ? { v: 1, batchId: m.batchId } : null;
  } catch {
    return null;
  }
}

/** The object keys of an S3 event notification as SQS delivers it (none for S3's s3:TestEvent); null if not one. */
export function s3ObjectKeys(body: string): string[] | null {
  try {
    const e = JSON.parse(body) as Partial<S3Event>;
    return (e.Records ?? []).map((r) => decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')));
  } catch {
    return null;
  }
}

export function batchConsumer(d: BatchContext, log: Log): Consumer {
  return eachMessage({
    name: 'batches',
    parse: parseBatchMessage,
    handle: async (m) => void (await advanceBatch(d, m.batchId)),
    log,
  });
}

export function eventsConsumer(d: BatchContext, bus: EventBus, origin: () => string, log: Log): Consumer {
  return eachMessage({
    name: 'events',
    parse: parseEventMessage,
    handle: async (m) => void (await publishEvent(d, bus, m, origin())),
    log,
  });
}

export function intakeConsumer(d: BatchContext, log: Log): Consumer {
  return eachMessage({
    name: 'intake',
    parse: s3ObjectKeys,
    handle: async (keys) => {
      for (const key of keys) log('batches.inbox', { key, result: await intakeObject(d, key) });
    },
    log,
  });
}
