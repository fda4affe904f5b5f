/**
 * A job as the table holds it: one item (`job#{id}` / `job`) with everything a read needs:
 *   request       the accepted request (written once)
 *   records       appended: started | done | failed | cancelled | requeued | dead-letter
 *   progress      stage → {step, of, at} while a stage runs (one writer: the stage's worker)
 *   usage         stage → what it used (set once per stage: a redelivered stage bills nothing more)
 *   previews      the partial images so far (a small one with its bytes, a larger one an object)
 *   outcome       "succeeded" | "canceled", claimed once by a conditional update
 *   gpk / gsk     the owner's listing, newest first (index byOwner)
 *   apk / ask     present while the job is unfinished (index active: the sweep's)
 *   expiresAt     the table's TTL: as long as the image is kept
 * Beside it, in the job's partition, its webhook delivery log (deliveries.ts).
 */
import type { Item } from '@baton/aws';
import type { JobRequest, StageRecord, UsageRecord } from './records.ts';

export type Progress = Record<string, { step: number; of: number; at: number }>;

export interface JobItem extends Item {
  request: JobRequest;
  records: StageRecord[];
  progress: Progress;
  usage: Record<string, UsageRecord>;
  previews: PreviewEntry[];
  outcome?: 'succeeded' | 'canceled';
}

export const jobKey = (id: string) => ({ pk: `job#${id}`, sk: 'job' });
/** The job id of a job item's key (an index entry carries the key). */
export const idOf = (k: Item) => k.pk.slice('job#'.length);
/** Times as fixed-width text, so that sort keys sort by time. */
export const pad = (n: number) => String(n).padStart(13, '0');

/** A partial image as the job lists it: its bytes inline when small, else in the preview's object. */
export interface PreviewEntry {
  index: number;
  label: string;
  png?: Uint8Array;
}

/**
 * The largest partial image kept inline in the job item (bytes). A 64 px partial is 2–4 KB: the
 * stream that lists it has it without a GET, and the worker writes it without a PUT. At most a
 * few per job (partial_images ≤ 3), far under the item's 400 KB.
 */
export const INLINE_PREVIEW_BYTES = 8 * 1024;

/** Previews in order, each once (a stage run again appends the same ones); without their bytes unless asked. */
export function previewsOf(item: JobItem, withBytes = false): PreviewEntry[] {
  const byIndex = new Map(item.previews.map((p) => [p.index, p]));
  return [...byIndex.values()]
    .sort((a, b) => a.index - b.index)
    .map(({ index, label, png }) => (withBytes && png ? { index, label, png } : { index, label }));
}

/** How long the table keeps what it holds. */
export interface Retention {
  /** Job items and images (days). */
  jobDays: number;
  /** The usage ledger (days). */
  usageDays: number;
  /** Idempotency-Key claims (days). */
  idempotencyDays: number;
}

export const RETENTION: Retention = { jobDays: 30, usageDays: 400, idempotencyDays: 1 };
