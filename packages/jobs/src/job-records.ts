/**
 * A job's state as the table holds it, read and written: one item per job (job-item.ts), so
 * reading a job is one strongly consistent GetItem and every change is one UpdateItem; its
 * bytes (latents, previews, the image) are objects in the bucket. The transitions that give
 * these writes their meaning (and their quota place, event and webhook) are JobStore's.
 */
import { type BlobStore, MemoryStateTable, queryAll, type StateTable } from '@baton/aws';
import { deliveriesOf } from './deliveries.ts';
import type { EndForecast } from './forecast.ts';
import {
  INLINE_PREVIEW_BYTES,
  idOf,
  type JobItem,
  jobKey,
  type PreviewEntry,
  type Progress,
  previewsOf,
  RETENTION,
  type Retention,
} from './job-item.ts';
import {
  deriveState,
  hasEnded,
  type JobRequest,
  type JobState,
  keys,
  nextLookMs,
  type RecordKind,
  type StageRecord,
  type UsageRecord,
} from './records.ts';
import { type DayUsage, dailyUsage, putUsage } from './usage-rollup.ts';
import type { DeliveryRecord } from './webhook.ts';

/** Every change to a job is to an existing job: never a half item made by a late worker. */
export const EXISTS = { exists: ['pk'] };

/** How a job ends: claimed once, by its last stage ("succeeded") or a cancel; the same side again still holds it. */
export type Outcome = 'succeeded' | 'canceled';
export const claimable = (outcome: Outcome) => ({
  anyOf: [{ exists: ['pk'], notExists: ['outcome'] }, { equals: { outcome } }],
});

export class JobRecords {
  readonly table: StateTable;
  readonly retention: Retention;

  constructor(
    /** Bytes: latents, previews, images (and, for the API, files and batch inputs). */
    readonly store: BlobStore,
    table?: StateTable,
    readonly now: () => number = Date.now,
    retention: Partial<Retention> = {},
  ) {
    // Alone (unit tests, one-process tools): a memory table on the same clock.
    this.table = table ?? new MemoryStateTable(now);
    this.retention = { ...RETENTION, ...retention };
  }

  protected async item(id: string): Promise<JobItem | null> {
    return (await this.table.get(jobKey(id))) as JobItem | null;
  }

  /** The job's request, records, progress and partial images as stored (one read), or null. */
  async job(
    id: string,
  ): Promise<(Pick<JobItem, 'request' | 'records' | 'progress'> & { previews: JobItem['previews'] }) | null> {
    const item = await this.item(id);
    return (
      item && {
        request: item.request,
        records: item.records,
        progress: item.progress,
        previews: previewsOf(item, true),
      }
    );
  }

  deliveries(id: string): Promise<DeliveryRecord[]> {
    return deliveriesOf(this.table, id);
  }

  /** What a job used so far, one record per stage. */
  async usage(job: string | JobRequest): Promise<UsageRecord[]> {
    const item = await this.item(typeof job === 'string' ? job : job.id);
    return item ? Object.values(item.usage) : [];
  }

  /** The job's request; null when there is none. */
  async request(id: string): Promise<JobRequest | null> {
    return (await this.item(id))?.request ?? null;
  }

  async append(
    id: string,
    kind: RecordKind,
    stage: string,
    fields: Omit<StageRecord, 'kind' | 'stage' | 'at'> = {},
  ) {
    const record: StageRecord = { kind, stage, at: this.now(), ...fields };
    await this.table.update(jobKey(id), { append: { records: [record] } }, EXISTS);
    return record;
  }

  async records(id: string): Promise<StageRecord[]> {
    return (await this.item(id))?.records ?? [];
  }

  /** Record kinds present: one read, cheap enough to check between steps. */
  async kinds(id: string): Promise<Set<RecordKind>> {
    return new Set((await this.records(id)).map((r) => r.kind));
  }

  /** Whether the job has ended: the same rule as deriveState's. */
  async isTerminal(request: JobRequest): Promise<boolean> {
    return hasEnded(request, await this.records(request.id));
  }

  /**
   * One look for a waiter (one read): the job's state once it has ended, else when to look
   * again (nextLookMs, from `forecast` when it knows the job's kind; it learns from each job
   * seen ended). Null when the job is gone.
   */
  async look(
    request: JobRequest,
    bounds: { min: number; max: number },
    forecast?: EndForecast,
  ): Promise<{ ended: JobState } | { nextMs: number } | null> {
    const item = await this.item(request.id);
    if (!item) return null;
    if (hasEnded(request, item.records)) {
      forecast?.learn(request, item.records);
      return { ended: await this.stateOf(item) };
    }
    return { nextMs: nextLookMs(request, item.records, this.now(), bounds, forecast?.expected(request)) };
  }

  /** Changes whenever the job's records, its running stage's progress or its previews do: one read. For watchers. */
  async changeToken(request: JobRequest): Promise<string> {
    const item = await this.item(request.id);
    if (!item) return '';
    const done = new Set(item.records.filter((r) => r.kind === 'done').map((r) => r.stage));
    const running = request.stages.find((st) => !done.has(st));
    return JSON.stringify([item.records, running && item.progress[running], item.previews.length]);
  }

  async setProgress(id: string, stage: string, step: number, of: number): Promise<void> {
    await this.table.update(
      jobKey(id),
      { set: { [`progress.${stage}`]: { step, of, at: this.now() } } },
      EXISTS,
    );
  }

  async progress(id: string): Promise<Progress> {
    return (await this.item(id))?.progress ?? {};
  }

  /** The job as it is now: one strongly consistent read (and one query for its webhook deliveries, if it has a webhook). */
  async state(id: string): Promise<JobState | null> {
    const item = await this.item(id);
    if (!item) return null;
    return this.stateOf(item);
  }

  protected async stateOf(item: JobItem): Promise<JobState> {
    const { request } = item;
    const deliveries = request.webhook ? await this.deliveries(request.id) : [];
    const usage = Object.values(item.usage);
    return {
      ...deriveState(request, item.records, item.progress, usage, deliveries),
      previews: request.spec.previews ? previewsOf(item) : [],
    };
  }

  /**
   * Writes one partial image: a small one inline in the job item (one write), a larger one as
   * an object, then listed (a stage run again writes the same bytes under the same key).
   */
  async putPreview(id: string, index: number, label: string, png: Uint8Array): Promise<void> {
    const inline = png.length <= INLINE_PREVIEW_BYTES;
    if (!inline) await this.store.put(keys.preview(id, index, label), png, 'image/png');
    const entry = inline ? { index, label, png } : { index, label };
    await this.table.update(jobKey(id), { append: { previews: [entry] } }, EXISTS);
  }

  /** The partial images written so far, in order (a small one with its bytes). */
  async previews(id: string): Promise<PreviewEntry[]> {
    const item = await this.item(id);
    return item ? previewsOf(item, true) : [];
  }

  /** A listed partial image's bytes: inline, else its object. */
  async preview(id: string, p: PreviewEntry): Promise<Uint8Array | null> {
    return p.png ?? this.store.get(keys.preview(id, p.index, p.label));
  }

  /** An owner's jobs, newest first, at most `limit` (one query of the owner index, then each job by key). */
  async listByOwner(owner: string, limit: number): Promise<JobState[]> {
    const keys = await queryAll(this.table, {
      pk: `jobs#${owner}`,
      index: 'byOwner',
      descending: true,
      limit,
    });
    const items = await Promise.all(keys.map((k) => this.item(idOf(k))));
    return Promise.all(items.filter((i): i is JobItem => i !== null).map((i) => this.stateOf(i)));
  }

  /** An owner's usage by day; closed days come from their roll-ups. */
  usageByDay(owner: string): Promise<DayUsage[]> {
    return dailyUsage(this.table, owner, this.now());
  }

  /**
   * A stage's done record and what it used, in one write to the job (the usage's own item
   * beside it): a stage is never seen done unbilled, nor billed twice (both keyed by stage).
   * The last stage passes `claim`: the same write claims the job's outcome (claimOutcome), so
   * its done record exists only if the outcome is "succeeded". False when a cancel claimed it
   * first (the usage is billed anyway).
   */
  async stageDone(
    id: string,
    stage: string,
    fields: Omit<StageRecord, 'kind' | 'stage' | 'at'>,
    usage: UsageRecord | undefined,
    claim?: 'succeeded',
  ): Promise<boolean> {
    const record: StageRecord = { kind: 'done', stage, at: this.now(), ...fields };
    const set = { ...(usage && { [`usage.${stage}`]: usage }), ...(claim && { outcome: claim }) };
    const [written] = await Promise.all([
      this.table.update(
        jobKey(id),
        { append: { records: [record] }, set },
        claim ? claimable(claim) : EXISTS,
      ),
      usage && putUsage(this.table, usage, this.retention.usageDays),
    ]);
    // The claim lost: no done record, but the steps that ran are the job's (bill: keyed, so the ledger item is the same).
    if (written === null && claim && usage) await this.bill(usage);
    return written !== null;
  }

  /**
   * Bills one stage of one job, in the job (what its state shows) and in its owner's ledger
   * (what usage by day sums). Both writes are keyed by job and stage: a rerun overwrites, never adds.
   */
  async bill(record: UsageRecord): Promise<void> {
    await Promise.all([
      this.table.update(jobKey(record.jobId), { set: { [`usage.${record.stage}`]: record } }, EXISTS),
      putUsage(this.table, record, this.retention.usageDays),
    ]);
  }

  /** A stage's output (latents, or the final image), null until written. */
  output(id: string, stage: string): Promise<Uint8Array | null> {
    return this.store.get(keys.output(id, stage));
  }

  /** A last stage's image, taken back when a cancel claimed the job's outcome first. */
  async deleteOutput(id: string, stage: string): Promise<void> {
    await this.store.delete(keys.output(id, stage));
  }

  async putOutput(id: string, stage: string, bytes: Uint8Array, contentType: string): Promise<void> {
    await this.store.put(keys.output(id, stage), bytes, contentType);
  }

  hasOutput(id: string, stage: string): Promise<boolean> {
    return this.store.exists(keys.output(id, stage));
  }

  /** Unfinished jobs, oldest first (the active index). */
  async activeIds(): Promise<string[]> {
    return (await queryAll(this.table, { pk: 'active', index: 'active' })).map(idOf);
  }
}
