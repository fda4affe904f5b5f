/**
 * The events outbox. A state change is written to the table before it goes to the events queue:
 * its marker (pending, in the active index) is the change's record, the queue message only its
 * delivery. The publisher claims the marker, publishes once, and marks it published (out of the
 * index). A message lost before it was published (the local queues die with their process; a
 * send failed) is sent again by the sweep from the pending marker, so no accepted change is lost
 * and none is published twice.
 */
import { expiresAfter, queryAll, type StateTable } from '@baton/aws';
import type { EmitEvent, EventMessage } from './events.ts';
import { pad } from './job-item.ts';

/** The index partition of changes not yet published. */
export const PENDING_EVENTS = 'events-pending';

/** A change's marker: one per job or batch and type (kept as long as jobs are). */
export const eventMarker = (m: Pick<EventMessage, 'kind' | 'id' | 'type'>) => ({
  pk: `event#${m.kind}#${m.id}`,
  sk: m.type,
});

/** The index fields of a marker waiting to be published. */
export const pendingIndex = (m: EventMessage) => ({
  apk: PENDING_EVENTS,
  ask: `${pad(m.at)}#${m.kind}#${m.id}`,
});

/** Emits through the outbox: the marker first (if the change is new), then the queue message. */
export function outboxEmit(
  table: StateTable,
  send: (m: EventMessage) => Promise<void>,
  keepDays: number,
  now: () => number = Date.now,
): EmitEvent {
  return async (m) => {
    await table.put(
      {
        ...eventMarker(m),
        state: 'pending',
        at: now(),
        event: m,
        ...pendingIndex(m),
        expiresAt: expiresAfter(now(), keepDays),
      },
      { notExists: ['pk'] },
    );
    await send(m);
  };
}

/**
 * Sends again every change still pending after `staleMs`, or claimed by a publisher that died
 * (a claim older than `claimStaleMs`). Returns how many were sent.
 */
export async function sweepEvents(
  table: StateTable,
  send: (m: EventMessage) => Promise<void>,
  o: { staleMs: number; claimStaleMs: number; now?: () => number },
): Promise<number> {
  const now = (o.now ?? Date.now)();
  let sent = 0;
  for (const k of await queryAll(table, { pk: PENDING_EVENTS, index: 'active' })) {
    const item = await table.get({ pk: k.pk, sk: k.sk });
    if (!item || item.apk !== PENDING_EVENTS) continue;
    const age = now - Number(item.at ?? 0);
    const stale =
      item.state === 'pending' ? age >= o.staleMs : item.state === 'publishing' && age >= o.claimStaleMs;
    if (!stale) continue;
    await send(item.event as EventMessage);
    sent++;
  }
  return sent;
}
