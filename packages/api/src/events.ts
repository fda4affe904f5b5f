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

const marker = (m: EventMessage) => `events/${m.kind}/${m.id}/${m.type.replace(/ /g, '-')}`;

export async function publishEvent(
  api: Api,
  bus: EventBus,
  m: EventMessage,
  origin: string,
): Promise<'published' | 'duplicate' | 'gone'> {
  if (await api.jobs.store.exists(marker(m))) return 'duplicate';
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
  await api.jobs.store.put(marker(m), String(api.now()), 'text/plain');
  return 'published';
}
