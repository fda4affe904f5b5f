/** A batch's status change, announced on the events queue ("Batch In Progress", …). */
import { batchEventOf } from '@baton/jobs';
import type { BatchContext } from './context.ts';
import type { BatchRecord, BatchStatus } from './store.ts';

export const announce = (d: Pick<BatchContext, 'emit' | 'now'>, b: BatchRecord, status: BatchStatus) =>
  d.emit({ v: 1, kind: 'batch', id: b.id, type: batchEventOf(status), at: d.now() });
