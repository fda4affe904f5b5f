/**
 * The events queue's consumer: reads the job or batch as it is now, publishes it to the bus
 * (source "baton", a detail-type per change, detail = the public object), then marks the change
 * published, so a redelivered message publishes nothing twice. A failed publish throws: the
 * message stays on its queue and is retried (then its dead-letter queue keeps it).
 */
import type { EventBus } from '@baton/aws';
import type { EventMessage } from '@baton/jobs';
import { publicBatch } from './batches/present.ts';
import type { Api } from './context.ts';
import { publicJob } from './presenter.ts';

export const EVENT_SOURCE = 'baton';

/** A change published once: its marker item (kept as long as jobs are). */
const marker = (m: EventMessage) => ({ pk: `event#${m.kind}#${m.id}`, sk: m.type });

export async function publishEvent(
  api: Api,
  bus: EventBus,
  m: EventMessage,
  origin: string,
): Promise<'published' | 'duplicate' | 'gone'> {
  if (await api.jobs.table.get(marker(m))) return 'duplicate';
  let detail: Record<string, unknown>;
  if (m.kind === 'job') {
    const s = await api.jobs.state(m.id);
    if (!s) return 'gone';
    detail = publicJob(s, origin, api.links);
  } else {
    const b = await api.batches.get(m.id);
    if (!b) return 'gone';
    detail = await publicBatch(api.batches, b);
  }
  await bus.put({
    source: EVENT_SOURCE,
    detailType: m.type,
    detail: { ...detail, event: { type: m.type, at: m.at } },
    time: new Date(m.at),
  });
  const expiresAt = Math.floor(api.now() / 1000) + api.jobs.retention.jobDays * 86_400;
  await api.jobs.table.put({ ...marker(m), at: api.now(), expiresAt });
  return 'published';
}
