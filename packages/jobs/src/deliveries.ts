/**
 * A job's webhook delivery log: one item per attempt in the job's partition
 * (`job#{id}` / `delivery#{at}#{event}#{attempt}`), unbounded in number and never in the way
 * of the job item; kept as long as the job.
 */
import { expiresAfter, queryAll, type StateTable } from '@baton/aws';
import { jobKey, pad } from './job-item.ts';
import type { DeliveryRecord } from './webhook.ts';

/** Records one delivery attempt (the webhook sender's log). */
export async function putDelivery(table: StateTable, id: string, d: DeliveryRecord, keepDays: number) {
  await table.put({
    pk: jobKey(id).pk,
    sk: `delivery#${pad(d.at)}#${d.event}#${d.attempt}`,
    delivery: d,
    expiresAt: expiresAfter(d.at, keepDays),
  });
}

/** Every attempt, oldest first (one query). */
export async function deliveriesOf(table: StateTable, id: string): Promise<DeliveryRecord[]> {
  const items = await queryAll(table, { pk: jobKey(id).pk, prefix: 'delivery#', consistent: true });
  return items.map((i) => i.delivery as DeliveryRecord);
}
