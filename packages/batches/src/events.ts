/**
 * The events queue's consumer: reads the job or batch as it is now, publishes it to the bus
 * (source "baton", a detail-type per change, detail = the public object), once per change.
 * Before publishing it claims the change's marker with one conditional put, so of two copies
 * of a message (a redelivery, a state change announced twice) one publishes and the other
 * finds it claimed. A failed publish frees the claim and throws: the message stays on its
 * queue and is retried (then its dead-letter queue keeps it). A claim whose consumer died
 * before publishing is taken over once it is older than the queue's visibility timeout.
 */
import { type EventBus, expiresAfter } from '@baton/aws';
import { type EventMessage, eventMarker, pendingIndex } from '@baton/jobs';
import { publicJob } from '@baton/service';
import type { BatchContext } from './context.ts';
import { publicBatch } from './present.ts';

export const EVENT_SOURCE = 'baton';

/** The events queue's visibility timeout (infra/queues.ts, local-aws.ts): a claim this old was abandoned. */
export const CLAIM_STALE_MS = 120_000;

/** A change's id, the same on every attempt (one change per object and type): `job_…:job_succeeded`. */
export const eventId = (m: Pick<EventMessage, 'id' | 'type'>) =>
  `${m.id}:${m.type.toLowerCase().replace(/\W+/g, '_')}`;

export async function publishEvent(
  api: BatchContext,
  bus: EventBus,
  m: EventMessage,
  origin: string,
): Promise<'published' | 'duplicate' | 'gone'> {
  const key = eventMarker(m);
  const now = api.now();
  const expiresAt = expiresAfter(now, api.jobs.retention.jobDays);
  // Still in the pending index while it is being published: if this consumer dies, the sweep sends it again.
  const claimed = await api.jobs.table.put(
    { ...key, state: 'publishing', at: now, event: m, ...pendingIndex(m), expiresAt },
    {
      anyOf: [
        { notExists: ['pk'] },
        { equals: { state: 'pending' } },
        { equals: { state: 'publishing' }, lessThan: { at: now - CLAIM_STALE_MS } },
      ],
    },
  );
  if (!claimed) return 'duplicate';
  try {
    return await publish(api, bus, m, origin);
  } catch (e) {
    // Pending again: the queue's redelivery, or else the sweep, publishes it.
    await api.jobs.table.update(key, { set: { state: 'pending', at: api.now() } }).catch(() => undefined);
    throw e;
  }
}

async function publish(
  api: BatchContext,
  bus: EventBus,
  m: EventMessage,
  origin: string,
): Promise<'published' | 'gone'> {
  const done = () =>
    api.jobs.table.update(eventMarker(m), {
      set: { state: 'published', at: api.now() },
      remove: ['apk', 'ask'],
    });
  let detail: Record<string, unknown>;
  if (m.kind === 'job') {
    const s = await api.jobs.state(m.id);
    if (!s) return done().then(() => 'gone');
    detail = publicJob(s, origin, api.links);
  } else {
    const b = await api.batches.get(m.id);
    if (!b) return done().then(() => 'gone');
    detail = await publicBatch(api.batches, b);
  }
  const id = eventId(m);
  await bus.put({
    id,
    source: EVENT_SOURCE,
    detailType: m.type,
    detail: { ...detail, event: { id, type: m.type, at: m.at } },
    time: new Date(m.at),
  });
  await done();
  return 'published';
}
