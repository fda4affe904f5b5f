/**
 * Batches in the bucket. Every fact is its own object, written once: the batch as created,
 * each status it reached, each line's outcome. Counts and status are derived from them, so
 * nothing is read, modified and written back (two workers on one batch cannot lose a count).
 * Only the fan-out's cursor is overwritten, by the fan-out alone.
 *
 *   batches/{id}/batch.json                 as created (input file, endpoint, owner, total lines)
 *   batches/{id}/status/{status}.json       when it reached each status (and what it produced)
 *   batches/{id}/lines/{line}-{status}.json one line's outcome (its status in the key: one LIST counts them)
 *   batches/{id}/cursor.json                the next input line to fan out, and its byte offset
 *   owners/{owner}/batches/{inverted time}-{id}
 */
import { createHash, randomBytes } from 'node:crypto';
import type { BlobStore } from '@baton/aws';

export const BATCH_STATUSES = [
  'validating',
  'in_progress',
  'finalizing',
  'completed',
  'failed',
  'cancelling',
  'cancelled',
  'expired',
] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];
export const BATCH_TERMINAL: readonly BatchStatus[] = ['completed', 'failed', 'cancelled', 'expired'];

export interface BatchRecord {
  id: string;
  owner: string | null;
  input_file_id: string;
  /** Where the input's bytes are (files/{id}/content, or the inbox object). */
  input_key: string;
  endpoint: string;
  completion_window: string;
  metadata: Record<string, string> | null;
  created_at: number;
  expires_at: number;
  /** Non-empty input lines. */
  total: number;
  /** An S3 drop-in batch: where its results go (batches/outbox/{key}/{name}/). */
  outbox?: string;
}

export interface StatusRecord {
  status: BatchStatus;
  at: number;
  output_file_id?: string;
  error_file_id?: string;
  errors?: { code: string; message: string; line?: number }[];
  usage?: BatchUsage;
}

export interface BatchUsage {
  jobs: number;
  compute_ms: number;
  cost_usd: number;
}

export interface LineOutcome {
  line: number;
  custom_id: string | null;
  status: 'succeeded' | 'failed' | 'canceled' | 'invalid';
  job_id?: string;
  revised_prompt?: string;
  response_format?: 'url' | 'b64_json';
  /** An invalid line's or a failed job's reason. */
  error?: { code: string; message: string; param?: string | null };
  compute_ms?: number;
  cost_usd?: number;
}

const pad = (n: number) => String(n).padStart(7, '0');
export const batchKeys = {
  batch: (id: string) => `batches/${id}/batch.json`,
  status: (id: string, s: BatchStatus) => `batches/${id}/status/${s}.json`,
  statuses: (id: string) => `batches/${id}/status/`,
  line: (id: string, line: number, status: LineOutcome['status']) =>
    `batches/${id}/lines/${pad(line)}-${status}.json`,
  lines: (id: string) => `batches/${id}/lines/`,
  cursor: (id: string) => `batches/${id}/cursor.json`,
  owner: (owner: string, at: number, id: string) =>
    `owners/${owner}/batches/${String(9_999_999_999_999 - at).padStart(13, '0')}-${id}`,
  ownerPrefix: (owner: string) => `owners/${owner}/batches/`,
};

export const newBatchId = () => `batch_${randomBytes(12).toString('hex')}`;
export const isBatchId = (id: string) => /^batch_[0-9a-f]{24}$/.test(id);

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** The job a batch line becomes: the same id however often the line is fanned out. */
export function lineJobId(batchId: string, line: number): string {
  const h = createHash('sha256').update(`${batchId}:${line}`).digest();
  return `job_${Array.from(h.subarray(0, 16), (b) => ALPHABET[b & 31]).join('')}`;
}

const decoder = new TextDecoder();
const parse = <T>(b: Uint8Array | null): T | null => {
  if (!b) return null;
  try {
    return JSON.parse(decoder.decode(b)) as T;
  } catch {
    return null;
  }
};

export class BatchStore {
  constructor(
    readonly store: BlobStore,
    readonly now: () => number = Date.now,
  ) {}

  async create(b: BatchRecord): Promise<void> {
    await this.store.put(batchKeys.batch(b.id), JSON.stringify(b), 'application/json');
    // Without keys (a local API with auth off) batches are listed under "local".
    await this.store.put(batchKeys.owner(b.owner ?? 'local', b.created_at * 1000, b.id), b.id, 'text/plain');
    await this.reach(b.id, 'validating');
  }

  async get(id: string): Promise<BatchRecord | null> {
    return isBatchId(id) ? parse<BatchRecord>(await this.store.get(batchKeys.batch(id))) : null;
  }

  /** Records that the batch reached a status; the first record of a status stands. */
  async reach(
    id: string,
    status: BatchStatus,
    fields: Omit<StatusRecord, 'status' | 'at'> = {},
  ): Promise<boolean> {
    const record: StatusRecord = { status, at: Math.floor(this.now() / 1000), ...fields };
    return this.store.putIfAbsent(batchKeys.status(id, status), JSON.stringify(record), 'application/json');
  }

  async statuses(id: string): Promise<Map<BatchStatus, StatusRecord>> {
    const keys = await this.store.list(batchKeys.statuses(id));
    const records = await Promise.all(keys.map(async (k) => parse<StatusRecord>(await this.store.get(k))));
    return new Map(records.filter((r): r is StatusRecord => r !== null).map((r) => [r.status, r]));
  }

  /** Settled lines and their status, from the keys alone (one LIST per thousand lines). */
  async settled(id: string): Promise<Map<number, LineOutcome['status']>> {
    const prefix = batchKeys.lines(id);
    const keys = await this.store.list(prefix);
    return new Map(
      keys.map((k) => {
        const [line, status] = k.slice(prefix.length, -'.json'.length).split('-');
        return [Number(line), status as LineOutcome['status']];
      }),
    );
  }

  /** Every settled line's outcome, in line order: read a hundred objects at a time. */
  async outcomes(id: string): Promise<LineOutcome[]> {
    const settled = [...(await this.settled(id))].sort((a, b) => a[0] - b[0]);
    const all: LineOutcome[] = [];
    for (let i = 0; i < settled.length; i += 100) {
      const slice = await Promise.all(
        settled
          .slice(i, i + 100)
          .map(async ([n, s]) => parse<LineOutcome>(await this.store.get(batchKeys.line(id, n, s)))),
      );
      all.push(...slice.filter((o): o is LineOutcome => o !== null));
    }
    return all;
  }

  /** A line's outcome, once (a job's outcome is claimed once, so a line has one status). */
  async settle(id: string, o: LineOutcome): Promise<void> {
    await this.store.putIfAbsent(batchKeys.line(id, o.line, o.status), JSON.stringify(o), 'application/json');
  }

  async cursor(id: string): Promise<{ line: number; byte: number }> {
    return parse(await this.store.get(batchKeys.cursor(id))) ?? { line: 0, byte: 0 };
  }

  async setCursor(id: string, cursor: { line: number; byte: number }): Promise<void> {
    await this.store.put(batchKeys.cursor(id), JSON.stringify(cursor), 'application/json');
  }

  async listByOwner(owner: string, limit: number, after?: string): Promise<string[]> {
    const ids = (await this.store.list(batchKeys.ownerPrefix(owner))).map((k) =>
      k.slice(k.lastIndexOf('-') + 1),
    );
    const from = after ? ids.indexOf(after) + 1 : 0;
    return ids.slice(from, from + limit);
  }
}

/** The status a batch is in: the furthest it reached. */
export function currentStatus(statuses: Map<BatchStatus, StatusRecord>): BatchStatus {
  for (const s of [
    'completed',
    'failed',
    'cancelled',
    'expired',
    'cancelling',
    'finalizing',
    'in_progress',
  ] as const)
    if (statuses.has(s)) return s;
  return 'validating';
}
