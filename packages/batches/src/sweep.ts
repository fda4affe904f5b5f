/**
 * The batch sweep: a batch's next look travels as a delayed message on the batch queue; a
 * crash of the local stack (its queues are in memory) or a message dead-lettered after storage
 * failures would leave the batch unfinished for good. Every unfinished batch the worker has not
 * looked at for `staleMs` gets a look now. A look is idempotent, and a batch looked at recently
 * is left alone, so the sweep never starts a second chain of looks beside a live one.
 */
import type { BatchContext } from './context.ts';

export async function sweepBatches(
  d: Pick<BatchContext, 'batches' | 'enqueueBatch' | 'now'>,
  staleMs: number,
): Promise<string[]> {
  if (!d.enqueueBatch) return [];
  const again: string[] = [];
  for (const b of await d.batches.active()) {
    if (d.now() - b.lookedAt < staleMs) continue;
    await d.enqueueBatch({ v: 1, batchId: b.id }, 0);
    again.push(b.id);
  }
  return again;
}
