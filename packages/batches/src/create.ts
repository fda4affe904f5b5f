/**
 * Making a batch, wherever it comes from (POST /v1/batches, an S3 inbox object): the input is
 * checked against the limits and the endpoint (refused whole if it fails), then the batch is
 * recorded, announced, and handed to the batch queue.
 */
import { BatchError } from './batch-error.ts';
import type { BatchContext } from './context.ts';
import { contentKey, type FileRecord } from './files.ts';
import { type BatchRecord, newBatchId } from './store.ts';

export const BATCH_ENDPOINTS = ['/v1/images/generations'] as const;

/** A file its caller may see: with keys, only the owner's; null for any other. */
export async function visibleFile(
  d: Pick<BatchContext, 'files' | 'keys'>,
  id: string,
  owner: string | null,
): Promise<FileRecord | null> {
  const f = await d.files.get(id);
  return !f || (d.keys && f.owner !== owner) ? null : f;
}

/** Checks a batch input against the limits and the endpoint; the batch is refused whole if it fails. */
export async function checkInput(
  d: BatchContext,
  fileId: string,
  endpoint: string,
  owner: string | null,
): Promise<FileRecord> {
  const f = await visibleFile(d, fileId, owner);
  if (!f) throw new BatchError('invalid_input', `no file ${fileId}`, 'input_file_id');
  const refuse = (message: string) =>
    new BatchError('invalid_input', `${fileId}: ${message}`, 'input_file_id');
  if (f.purpose !== 'batch') throw refuse("its purpose is not 'batch'");
  if (f.problem) throw refuse(`not JSONL: ${f.problem}`);
  if (!f.lines) throw refuse('it has no request line');
  if (f.lines > d.limits.maxLines)
    throw refuse(`${f.lines} lines; a batch holds at most ${d.limits.maxLines}`);
  if (f.bytes > d.limits.maxBytes)
    throw refuse(`${f.bytes} bytes; a batch input is at most ${d.limits.maxBytes}`);
  const other = f.endpoints?.find((e) => e !== endpoint);
  if (other) throw refuse(`a line names ${other}, not the batch's endpoint ${endpoint}`);
  return f;
}

/** Records a batch and hands it to the batch queue. */
export async function createBatch(
  d: BatchContext,
  o: {
    file: FileRecord;
    endpoint: string;
    metadata: Record<string, string> | null;
    owner: string | null;
    outbox?: string;
    id?: string;
  },
): Promise<BatchRecord> {
  if (!d.enqueueBatch) throw new BatchError('not_configured', 'this deployment has no batch queue');
  const created = Math.floor(d.now() / 1000);
  const b: BatchRecord = {
    id: o.id ?? newBatchId(),
    owner: o.owner,
    input_file_id: o.file.id,
    input_key: contentKey(o.file),
    endpoint: o.endpoint,
    completion_window: '24h',
    metadata: o.metadata,
    created_at: created,
    expires_at: created + 24 * 3600,
    total: o.file.lines ?? 0,
    ...(o.outbox && { outbox: o.outbox }),
  };
  await d.batches.create(b);
  await d.emit({ v: 1, kind: 'batch', id: b.id, type: 'Batch Created', at: d.now() });
  await d.enqueueBatch({ v: 1, batchId: b.id }, 0);
  return b;
}
