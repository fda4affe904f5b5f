/**
 * Jobs: state in the table, bytes in the bucket, and every transition of a job's life
 * (accepted, started, succeeded, failed, canceled, and each stage's records) made here, with
 * what goes with it: the quota place, the state-change event on the events queue, the webhook
 * delivery. Routes, the batch worker, stage workers, the dead-letter handler and the sweep ask
 * for a transition; none of them sends an event or gives a place back itself.
 *
 * One item per job (`job#{id}` / `job`) holds everything a read needs, so reading a job is one
 * strongly consistent GetItem and every change is one UpdateItem:
 *   request       the accepted request (written once)
 *   records       appended: started | done | failed | cancelled | requeued | dead-letter
 *   progress      stage → {step, of, at} while a stage runs (one writer: the stage's worker)
 *   usage         stage → what it used (set once per stage: a redelivered stage bills nothing more)
 *   previews      the partial images stored so far (their bytes are objects)
 *   outcome       "succeeded" | "canceled", claimed once by a conditional update
 *   gpk / gsk     the owner's listing, newest first (index byOwner)
 *   apk / ask     present while the job is unfinished (index active: the sweep's)
 *   expiresAt     the table's TTL: as long as the image is kept
 * Webhook delivery attempts are items of their own in the job's partition
 * (`delivery#{at}#{event}#{attempt}`): unbounded in number, never in the way of the job item.
 * Idempotency claims are `idem#{owner}` / `{keyHash}`, kept a day.
 */
import { type BlobStore, type Item, MemoryStateTable, queryAll, type StateTable } from '@baton/aws';
import type { EmitEvent } from './events.ts';
import type { Enqueue } from './message.ts';
import { QuotaLedger } from './quota.ts';
import {
  deriveState,
  type JobRequest,
  type JobState,
  keys,
  type RecordKind,
  type StageRecord,
  TERMINAL,
  type UsageRecord,
} from './records.ts';
import { type DayUsage, dailyUsage, putUsage } from './usage-rollup.ts';
import type { DeliveryRecord, WebhookEvent, WebhookSink } from './webhook.ts';

const TERMINAL_KINDS: ReadonlySet<RecordKind> = new Set(['cancelled', 'failed', 'dead-letter']);
const DAY_S = 86_400;

/** What an Idempotency-Key maps to: the request body's hash and the job made for it. */
export interface IdempotencyClaim {
  bodyHash: string;
  jobId: string;
  at: number;
}

export interface Retention {
  /** Job items and images (days). */
  jobDays: number;
  /** The usage ledger (days). */
  usageDays: number;
  /** Idempotency-Key claims (seconds). */
  idempotencySeconds: number;
}

export const RETENTION: Retention = { jobDays: 30, usageDays: 400, idempotencySeconds: DAY_S };

type Progress = Record<string, { step: number; of: number; at: number }>;

/** A job item as stored. */
interface JobItem extends Item {
  request: JobRequest;
  records: StageRecord[];
  progress: Progress;
  usage: Record<string, UsageRecord>;
  previews: { index: number; label: string }[];
  outcome?: 'succeeded' | 'canceled';
}

export const jobKey = (id: string) => ({ pk: `job#${id}`, sk: 'job' });
const idOf = (k: Item) => k.pk.slice('job#'.length);
const idempotencyKey = (owner: string, keyHash: string) => ({ pk: `idem#${owner}`, sk: keyHash });
const pad = (n: number) => String(n).padStart(13, '0');
/** Every change to a job is to an existing job: never a half item made by a late worker. */
const EXISTS = { exists: ['pk'] };

export class JobStore {
  /** The owners' concurrent-job quota places. */
  readonly quota: QuotaLedger;
  readonly retention: Retention;
  readonly table: StateTable;
  private readonly events: EmitEvent | undefined;
  private readonly webhooks: WebhookSink | undefined;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    /** Bytes: latents, previews, images (and, for the API, files and batch inputs). */
    readonly store: BlobStore,
    table?: StateTable,
    readonly now: () => number = Date.now,
    options: {
      retention?: Partial<Retention>;
      /** The events queue: a transition made here announces itself there (absent: events are off). */
      events?: EmitEvent;
      /** Webhook deliveries of the transitions a job asked to hear about (absent: none are sent). */
      webhooks?: WebhookSink;
    } = {},
  ) {
    const retention = options.retention ?? {};
    this.events = options.events;
    this.webhooks = options.webhooks;
    // Alone (unit tests, one-process tools): a memory table on the same clock.
    this.table = table ?? new MemoryStateTable(now);
    this.retention = { ...RETENTION, ...retention };
    this.quota = new QuotaLedger(this.table, async (id) => (await this.request(id)) !== null, now);
  }

  /**
   * Accepts a job: its item (one write), then the base message and "Job Accepted" together.
   * Only the write that made the item announces it: a request accepted twice is announced once.
   */
  async create(request: JobRequest, enqueue: Enqueue): Promise<void> {
    const item: JobItem = {
      ...jobKey(request.id),
      request,
      records: [],
      progress: {},
      usage: {},
      previews: [],
      ...(request.owner && { gpk: `jobs#${request.owner}`, gsk: `${pad(request.createdAt)}#${request.id}` }),
      apk: 'active',
      ask: `${pad(request.createdAt)}#${request.id}`,
      expiresAt: Math.floor(request.createdAt / 1000) + this.retention.jobDays * DAY_S,
    };
    // A request accepted twice (a retried batch fan-out) keeps the first item and its records.
    const made = await this.table.put(item, { notExists: ['pk'] });
    await Promise.all([
      // If this send is lost, the sweep re-enqueues the stage: the job is already accepted.
      enqueue({ v: 1, jobId: request.id, stage: request.stages[0]!, correlationId: request.correlationId }),
      made &&
        this.events?.({ v: 1, kind: 'job', id: request.id, type: 'Job Accepted', at: request.createdAt }),
    ]);
  }

  /**
   * Gives an ended job's quota place back and drops it from the active index. Both are
   * idempotent: run again (a redelivered stage, the sweep after a crash) they change nothing.
   */
  async finished(request: JobRequest): Promise<void> {
    if (request.owner) await this.quota.release(request.owner, request.id);
    await this.table.update(jobKey(request.id), { remove: ['apk', 'ask'] }, EXISTS);
  }

  private async item(id: string): Promise<JobItem | null> {
    return (await this.table.get(jobKey(id))) as JobItem | null;
  }

  /** The job's request and records as stored (one read), or null. */
  async job(id: string): Promise<{ request: JobRequest; records: StageRecord[] } | null> {
    const item = await this.item(id);
    return item && { request: item.request, records: item.records };
  }

  async deliveries(id: string): Promise<DeliveryRecord[]> {
    const items = await queryAll(this.table, { pk: jobKey(id).pk, prefix: 'delivery#', consistent: true });
    return items.map((i) => i.delivery as DeliveryRecord);
  }

  /** Records one webhook delivery attempt. */
  putDelivery(id: string, d: DeliveryRecord): Promise<void> {
    return putDelivery(this.table, id, d, this.retention.jobDays);
  }

  /**
   * A stage starts: its record, and when it is the job's first stage, "Job Started" and the
   * `started` webhook (a redelivered first stage announces again: the event publisher and a
   * webhook's receiver drop the duplicate by its id).
   */
  async start(request: JobRequest, stage: string, messageId?: string): Promise<void> {
    if (stage === request.stages[0]) {
      this.announce(request.id, 'Job Started');
      this.webhooks?.send(request, 'started', { status: 'running', stage });
    }
    await this.append(request.id, 'started', stage, messageId ? { messageId } : {});
  }

  /** The last stage's image is stored: the place goes back, "Job Succeeded", the `completed` webhook. */
  async succeed(request: JobRequest): Promise<void> {
    await this.finished(request);
    this.announce(request.id, 'Job Succeeded');
    this.webhooks?.send(request, 'completed', { status: 'succeeded' });
  }

  /**
   * The job failed (bad input, a model mismatch: `failed`; a stage that kept failing:
   * `dead-letter`): its record, the place back, "Job Failed", the `failed` webhook.
   */
  async fail(
    request: JobRequest,
    kind: 'failed' | 'dead-letter',
    stage: string,
    error: { reason: string; code: string; messageId?: string },
  ): Promise<void> {
    await this.append(request.id, kind, stage, error);
    await this.finished(request);
    this.announce(request.id, 'Job Failed');
    const shown = kind === 'dead-letter' ? { code: error.code } : { reason: error.reason, code: error.code };
    this.webhooks?.send(request, 'failed', { status: 'failed', stage, error: shown });
  }

  /** Enqueues a state change's event, in the background (a stage never waits on it; the webhook sink's flush does). */
  private announce(id: string, type: 'Job Started' | 'Job Succeeded' | 'Job Failed'): void {
    const sent = this.events?.({ v: 1, kind: 'job', id, type, at: this.now() });
    if (!sent) return;
    // A send that fails after the SDK's retries is seen by flush(); never an unhandled rejection.
    sent.catch(() => undefined).finally(() => this.pending.delete(sent));
    this.pending.add(sent);
  }

  /** Waits for the events this store has announced in the background (a Lambda must, before it returns). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
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
    const last = request.stages[request.stages.length - 1];
    return (await this.records(request.id)).some(
      (r) => TERMINAL_KINDS.has(r.kind) || (r.kind === 'done' && r.stage === last),
    );
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

  private async stateOf(item: JobItem): Promise<JobState> {
    const { request } = item;
    const deliveries = request.webhook ? await this.deliveries(request.id) : [];
    const usage = Object.values(item.usage);
    return {
      ...deriveState(request, item.records, item.progress, usage, deliveries),
      previews: request.spec.previews ? previewsOf(item) : [],
    };
  }

  /** Writes one partial image (a stage run again writes the same bytes under the same key). */
  async putPreview(id: string, index: number, label: string, png: Uint8Array): Promise<void> {
    await this.store.put(keys.preview(id, index, label), png, 'image/png');
    await this.table.update(jobKey(id), { append: { previews: [{ index, label }] } }, EXISTS);
  }

  /** The partial images written so far, in order. */
  async previews(id: string): Promise<{ index: number; label: string }[]> {
    const item = await this.item(id);
    return item ? previewsOf(item) : [];
  }

  preview(id: string, index: number, label: string): Promise<Uint8Array | null> {
    return this.store.get(keys.preview(id, index, label));
  }

  /**
   * Cancels a job unless it already finished; returns the state after. Whoever claims the
   * outcome (the API's cancel, a batch's cancel) announces "Job Canceled", once: a second cancel
   * finds the job ended and announces nothing.
   */
  async cancel(id: string): Promise<JobState | null> {
    const state = await this.state(id);
    if (!state || TERMINAL.includes(state.status)) return state;
    // The last stage may be finishing right now, or another cancel landing: whichever claims
    // the outcome first decides, and only that one goes on.
    const claimed = await this.table.update(
      jobKey(id),
      { set: { outcome: 'canceled' } },
      { exists: ['pk'], notExists: ['outcome'] },
    );
    if (!claimed) return this.state(id);
    const record = await this.append(id, 'cancelled', state.stage ?? 'job');
    await this.finished(state.request);
    await this.events?.({ v: 1, kind: 'job', id, type: 'Job Canceled', at: record.at });
    return this.state(id);
  }

  /**
   * Claims how the job ends, once (one conditional update): the last stage claims "succeeded"
   * before it writes the image, a cancel claims "canceled". True when the outcome is this one
   * (claimed now, or earlier by the same side: a redelivered last stage).
   */
  async claimOutcome(id: string, outcome: 'succeeded' | 'canceled'): Promise<boolean> {
    const claimed = await this.table.update(
      jobKey(id),
      { set: { outcome } },
      { anyOf: [{ exists: ['pk'], notExists: ['outcome'] }, { equals: { outcome } }] },
    );
    return claimed !== null;
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

  async putOutput(id: string, stage: string, bytes: Uint8Array, contentType: string): Promise<void> {
    await this.store.put(keys.output(id, stage), bytes, contentType);
  }

  hasOutput(id: string, stage: string): Promise<boolean> {
    return this.store.exists(keys.output(id, stage));
  }

  /**
   * Claims an Idempotency-Key for a job with one conditional put (of racing requests, one
   * wins); the losers get the claim that won.
   */
  async claimIdempotency(
    owner: string,
    keyHash: string,
    claim: IdempotencyClaim,
  ): Promise<{ won: boolean; held: IdempotencyClaim | null }> {
    const key = idempotencyKey(owner, keyHash);
    const expiresAt = Math.floor(claim.at / 1000) + this.retention.idempotencySeconds;
    if (await this.table.put({ ...key, claim, expiresAt }, { notExists: ['pk'] }))
      return { won: true, held: claim };
    const held = await this.table.get(key);
    return { won: false, held: (held?.claim as IdempotencyClaim | undefined) ?? null };
  }

  /** Frees a key whose request was refused, so a corrected request can use it. */
  async releaseIdempotency(owner: string, keyHash: string): Promise<void> {
    await this.table.delete(idempotencyKey(owner, keyHash));
  }

  /** Unfinished jobs, oldest first (the active index). */
  async activeIds(): Promise<string[]> {
    return (await queryAll(this.table, { pk: 'active', index: 'active' })).map(idOf);
  }

  /**
   * Re-enqueues the next stage of every unfinished job that has shown no activity for
   * `staleMs` (a lost message, a worker killed mid-stage, a stack restarted), and finishes
   * (place back, out of the index) every ended job still in the index (a crash between its
   * outcome and its release). Duplicates are harmless: workers skip stages whose output exists.
   */
  async sweep(enqueue: Enqueue, staleMs: number): Promise<{ requeued: string[]; finished: string[] }> {
    const requeued: string[] = [];
    const finished: string[] = [];
    // The index is eventually consistent: each job is read again before anything is done to it.
    for (const id of await this.activeIds()) {
      const item = await this.item(id);
      if (!item) continue;
      const { request, records, progress } = item;
      const state = deriveState(request, records, progress);
      if (TERMINAL.includes(state.status)) {
        await this.finished(request);
        finished.push(id);
        continue;
      }
      const lastActivity = Math.max(
        request.createdAt,
        ...records.filter((r) => r.kind !== 'requeued' || r.stage === state.stage).map((r) => r.at),
        ...Object.values(progress).map((p) => p.at),
      );
      if (this.now() - lastActivity < staleMs || !state.stage) continue;
      await this.append(id, 'requeued', state.stage);
      await enqueue({ v: 1, jobId: id, stage: state.stage, correlationId: request.correlationId });
      requeued.push(id);
    }
    return { requeued, finished };
  }
}

function deliveryKey(at: number, event: WebhookEvent, attempt: number): string {
  return `delivery#${pad(at)}#${event}#${attempt}`;
}

/** Records one webhook delivery attempt in its job's partition (the sender's log; kept as long as the job). */
export async function putDelivery(table: StateTable, id: string, d: DeliveryRecord, keepDays: number) {
  await table.put({
    pk: jobKey(id).pk,
    sk: deliveryKey(d.at, d.event, d.attempt),
    delivery: d,
    expiresAt: Math.floor(d.at / 1000) + keepDays * DAY_S,
  });
}

/** Previews in order, each once (a stage run again appends the same ones). */
function previewsOf(item: JobItem): { index: number; label: string }[] {
  const byIndex = new Map(item.previews.map((p) => [p.index, p]));
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}
