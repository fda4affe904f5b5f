/** The batch worker's side of the API package: what the batch queue's consumer runs for each message. */
import { batchEventOf } from '@baton/jobs';
import { type ApiDeps, resolveApi } from '../context.ts';
import { advanceBatch, type BatchDeps, type BatchMessage } from './fanout.ts';

export type { BatchMessage } from './fanout.ts';

export interface BatchWorkerDeps extends ApiDeps {
  enqueueBatch: (m: BatchMessage, delaySeconds: number) => Promise<void>;
  inFlight?: number;
  pollSeconds?: number;
  onStatus?: BatchDeps['onStatus'];
  outboxUrl?: BatchDeps['outboxUrl'];
  chunkBytes?: number;
}

/** Parses a batch queue message; null for anything else (dropped, never retried). */
export function parseBatchMessage(body: string): BatchMessage | null {
  try {
    const m = JSON.parse(body) as Partial<BatchMessage>;
    return m && m.v === 1 && typeof m.batchId === 'string' ? { v: 1, batchId: m.batchId } : null;
  } catch {
    return null;
  }
}

export function batchWorker(deps: BatchWorkerDeps) {
  const api = resolveApi(deps);
  const d: BatchDeps = {
    api,
    batches: api.batches,
    files: api.files,
    enqueueBatch: deps.enqueueBatch,
    ...(deps.inFlight !== undefined && { inFlight: deps.inFlight }),
    ...(deps.pollSeconds !== undefined && { pollSeconds: deps.pollSeconds }),
    // Every status the batch reaches is an event too.
    onStatus: async (b, status) => {
      await api.emit({ v: 1, kind: 'batch', id: b.id, type: batchEventOf(status), at: api.now() });
      await deps.onStatus?.(b, status);
    },
    ...(deps.outboxUrl && { outboxUrl: deps.outboxUrl }),
    ...(deps.chunkBytes && { chunkBytes: deps.chunkBytes }),
  };
  return { api, advance: (id: string) => advanceBatch(d, id) };
}
