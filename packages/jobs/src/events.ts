/**
 * Job and batch state changes, on their way to the event bus. Producers (the API, stage
 * workers, the batch worker) only enqueue a small message; the events queue's consumer reads
 * the object as it is then and publishes it (api/src/events.ts), so publishing is never on a
 * stage's path, and a failed publish stays on the queue to be retried.
 */
export const JOB_EVENTS = [
  'Job Accepted',
  'Job Started',
  'Job Succeeded',
  'Job Failed',
  'Job Canceled',
] as const;
export const BATCH_EVENTS = [
  'Batch Created',
  'Batch In Progress',
  'Batch Finalizing',
  'Batch Completed',
  'Batch Failed',
  'Batch Cancelling',
  'Batch Cancelled',
  'Batch Expired',
] as const;
export type JobEventType = (typeof JOB_EVENTS)[number];
export type BatchEventType = (typeof BATCH_EVENTS)[number];

export type EventMessage =
  | { v: 1; kind: 'job'; id: string; type: JobEventType; at: number }
  | { v: 1; kind: 'batch'; id: string; type: BatchEventType; at: number };

/** Sends an event message to the events queue (absent: events are off). */
export type EmitEvent = (m: EventMessage) => Promise<void>;

/** A batch status's event ("in_progress" → "Batch In Progress"). */
export function batchEventOf(status: string): BatchEventType {
  const words = status.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1));
  return `Batch ${words.join(' ')}` as BatchEventType;
}

export function parseEventMessage(body: string): EventMessage | null {
  try {
    const m = JSON.parse(body) as EventMessage;
    const known =
      m.kind === 'job'
        ? JOB_EVENTS.includes(m.type as JobEventType)
        : BATCH_EVENTS.includes(m.type as BatchEventType);
    return m.v === 1 && typeof m.id === 'string' && typeof m.at === 'number' && known ? m : null;
  } catch {
    return null;
  }
}
