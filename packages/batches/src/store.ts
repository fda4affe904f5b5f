/**
 * Batches in the table. Every fact is its own item, written once: the batch as created, each
 * status it reached, each line's outcome. Counts and status are derived from them, so nothing
 * is read, modified and written back (two workers on one batch cannot lose a count). Only the
 * fan-out's cursor is overwritten, by the fan-out alone. One partition per batch:
 *
 *   batch#{id} / batch              as created (input file, endpoint, owner, total lines);
 *                                   listed by owner, newest first (index byOwner)
 *   batch#{id} / status#{status}    when it reached each status (and what it produced)
 *   batch#{id} / line#{line}        one line's outcome (one query reads a thousand or so)
 *   batch#{id} / cursor             the next input line to fan out, and its byte offset
 */
import { createHash, randomBytes } from 'node:crypto';
import { expiresAfter, type Item, queryAll, type StateTable } from '@baton/aws';
import type { bestOfJson } from '@baton/pipeline/spec';

type BestOfView = ReturnType<typeof bestOfJson>;

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
  /** What of the prompt the image could not show (as the images endpoint says). */
  warnings?: string[];
  response_format?: 'url' | 'b64_json';
  output_format?: 'png' | 'jpeg' | 'webp';
  output_compression?: number;
  /** A best_of line's candidates and the kept one (as the images endpoint shows them). */
  best_of?: BestOfView;
  /** An invalid line's or a failed job's reason. */
  error?: { code: string; message: string; param?: string | null };
  compute_ms?: number;
  cost_usd?: number;
}

const pad = (n: number, width = 7) => String(n).padStart(width, '0');
const pk = (id: string) => `batch#${id}`;
const ACTIVE_BATCHES = 'active-batches';
export const batchKeys = {
  batch: (id: string) => ({ pk: pk(id), sk: 'batch' }),
  status: (id: string, s: BatchStatus) => ({ pk: pk(id), sk: `status#${s}` }),
  line: (id: string, line: number) => ({ pk: pk(id), sk: `line#${pad(line)}` }),
  cursor: (id: string) => ({ pk: pk(id), sk: 'cursor' }),
};

export const newBatchId = () => `batch_${randomBytes(12).toString('hex')}`;
export const isBatchId = (id: string) => /^batch_[0-9a-f]{24}$/.test(id);

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** The job a batch line becomes: the same id however often the line is fanned out. */
export function lineJobId(batchId: string, line: number): string {
  const h = createHash('sha256').update(`${batchId}:${line}`).digest();
  return `job_${Array.from(h.subarray(0, 16), (b) => ALPHABET[b & 31]).join('')}`;
}

export class BatchStore {
  constructor(
    readonly table: StateTable,
    readonly now: () => number = Date.now,
    /** How long a batch's items are kept (days). */
    readonly keepDays = 30,
  ) {}

  private expiresAt(): number {
    return expiresAfter(this.now(), this.keepDays);
  }

  async create(b: BatchRecord): Promise<void> {
    // Without keys (a local API with auth off) batches are listed under "local".
    await this.table.put({
      ...batchKeys.batch(b.id),
      batch: b,
      gpk: `batches#${b.owner ?? 'local'}`,
      gsk: `${pad(b.created_at, 10)}#${b.id}`,
      // Unfinished batches are in the active index (the sweep's), apart from the jobs.
      apk: ACTIVE_BATCHES,
      ask: `${pad(b.created_at, 10)}#${b.id}`,
      lookedAt: this.now(),
      expiresAt: this.expiresAt(),
    });
    await this.reach(b.id, 'validating');
  }

  /** The batch worker looks at it now (the sweep leaves a batch alone while this is recent). */
  async touch(id: string): Promise<void> {
    await this.table.update(batchKeys.batch(id), { set: { lookedAt: this.now() } }, { exists: ['pk'] });
  }

  /** It has ended: out of the active index. */
  async ended(id: string): Promise<void> {
    await this.table.update(batchKeys.batch(id), { remove: ['apk', 'ask'] }, { exists: ['pk'] });
  }

  /** Unfinished batches, with when the batch worker last looked at each (ms). */
  async active(): Promise<{ id: string; lookedAt: number }[]> {
    const keys = await queryAll(this.table, { pk: ACTIVE_BATCHES, index: 'active' });
    const items = await Promise.all(keys.map((k) => this.table.get({ pk: k.pk, sk: k.sk })));
    return items.flatMap((i) =>
      i?.apk === ACTIVE_BATCHES
        ? [{ id: (i.batch as BatchRecord).id, lookedAt: Number(i.lookedAt ?? 0) }]
        : [],
    );
  }

  async get(id: string): Promise<BatchRecord | null> {
    if (!isBatchId(id)) return null;
    return ((await this.table.get(batchKeys.batch(id)))?.batch as BatchRecord | undefined) ?? null;
  }

  /** Records that the batch reached a status; the first record of a status stands. */
  async reach(
    id: string,
    status: BatchStatus,
    fields: Omit<StatusRecord, 'status' | 'at'> = {},
  ): Promise<boolean> {
    const record: StatusRecord = { status, at: Math.floor(this.now() / 1000), ...fields };
    return this.table.put(
      { ...batchKeys.status(id, status), record, expiresAt: this.expiresAt() },
      { notExists: ['pk'] },
    );
  }

  async statuses(id: string): Promise<Map<BatchStatus, StatusRecord>> {
    const items = await queryAll(this.table, { pk: pk(id), prefix: 'status#', consistent: true });
    return new Map(items.map((i) => i.record as StatusRecord).map((r) => [r.status, r]));
  }

  /** Settled lines and their status. */
  async settled(id: string): Promise<Map<number, LineOutcome['status']>> {
    return new Map((await this.outcomes(id)).map((o) => [o.line, o.status]));
  }

  /** Every settled line's outcome, in line order (one query per megabyte of outcomes). */
  async outcomes(id: string): Promise<LineOutcome[]> {
    const items = await queryAll(this.table, { pk: pk(id), prefix: 'line#', consistent: true });
    return items.map((i: Item) => i.outcome as LineOutcome);
  }

  /** A line's outcome, once (a job's outcome is claimed once, so a line has one status). */
  async settle(id: string, o: LineOutcome): Promise<void> {
    await this.table.put(
      { ...batchKeys.line(id, o.line), outcome: o, expiresAt: this.expiresAt() },
      { notExists: ['pk'] },
    );
  }

  async cursor(id: string): Promise<{ line: number; byte: number }> {
    return (
      ((await this.table.get(batchKeys.cursor(id)))?.cursor as { line: number; byte: number }) ?? {
        line: 0,
        byte: 0,
      }
    );
  }

  async setCursor(id: string, cursor: { line: number; byte: number }): Promise<void> {
    await this.table.put({ ...batchKeys.cursor(id), cursor, expiresAt: this.expiresAt() });
  }

  /** An owner's batch ids, newest first, `limit` after the batch `after` (one query of the owner index). */
  async listByOwner(owner: string, limit: number, after?: string): Promise<string[]> {
    const from = after ? await this.table.get(batchKeys.batch(after)) : null;
    if (after && !from) return [];
    const before = from?.gsk as string | undefined;
    const items = await queryAll(this.table, {
      pk: `batches#${owner}`,
      index: 'byOwner',
      descending: true,
      // Strictly older than `after`: its own key is the upper end, dropped below.
      ...(before && { between: ['0', before] as [string, string] }),
      limit: limit + (before ? 1 : 0),
    });
    return items
      .map((i) => i.pk.slice('batch#'.length))
      .filter((id) => id !== after)
      .slice(0, limit);
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

/** An output-file line as stored: OpenAI's batch output line, the image still a job id. */
export interface StoredLine {
  id: string;
  custom_id: string | null;
  response: { status_code: number; request_id: string; body: unknown } | null;
  error: { code: string; message: string } | null;
}
