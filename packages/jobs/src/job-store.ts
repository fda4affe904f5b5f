/**
 * Jobs in the bucket: accept, read state, append records, cancel, the sweep, and the
 * per-owner reads the API needs (quota, listing, ledger, images). Nothing else reads the
 * bucket's job layout (records.ts's `keys`).
 */
import { type BlobStore, TransientError } from '@baton/aws';
import type { Enqueue } from './message.ts';
import { QuotaLedger } from './quota.ts';
import {
  deriveState,
  type JobRequest,
  type JobState,
  keys,
  parseRecordKey,
  type RecordKind,
  type StageRecord,
  TERMINAL,
  type UsageRecord,
} from './records.ts';
import { type DayUsage, dailyUsage } from './usage-rollup.ts';
import type { DeliveryRecord } from './webhook.ts';

const json = (v: unknown) => JSON.stringify(v);
const TERMINAL_KINDS: ReadonlySet<RecordKind> = new Set(['cancelled', 'failed', 'dead-letter']);
const decoder = new TextDecoder();

/**
 * An object read while its writer is still writing it (a local filesystem-backed S3
 * is not atomic) parses as nothing: the next read sees it whole.
 */
function parseJson<T>(bytes: Uint8Array): T | null {
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch {
    return null;
  }
}

/** What an Idempotency-Key maps to: the request body's hash and the job made for it. */
export interface IdempotencyClaim {
  bodyHash: string;
  jobId: string;
  at: number;
}

export class JobStore {
  /** The owners' concurrent-job quota slots. */
  readonly quota: QuotaLedger;

  constructor(
    readonly store: BlobStore,
    readonly now: () => number = Date.now,
  ) {
    this.quota = new QuotaLedger(store, async (id) => (await this.request(id)) !== null, now);
  }

  /** Accepts a job: the request record and the active marker first, then the base message. */
  async create(request: JobRequest, enqueue: Enqueue): Promise<void> {
    await this.store.put(keys.request(request.id), json(request), 'application/json');
    await Promise.all([
      this.store.put(keys.active(request.id), request.id, 'text/plain'),
      request.owner && this.store.put(keys.ownerActive(request.owner, request.id), request.id, 'text/plain'),
      request.owner &&
        this.store.put(keys.ownerJob(request.owner, request.createdAt, request.id), request.id, 'text/plain'),
    ]);
    // If this send is lost, the sweep re-enqueues the stage: the job is already accepted.
    await enqueue({
      v: 1,
      jobId: request.id,
      stage: request.stages[0]!,
      correlationId: request.correlationId,
    });
  }

  /** Drops a finished job from the active indexes (the sweep's, and its owner's quota count). */
  async finished(request: JobRequest): Promise<void> {
    await Promise.all([
      this.store.delete(keys.active(request.id)),
      request.owner ? this.store.delete(keys.ownerActive(request.owner, request.id)) : undefined,
      request.owner ? this.quota.release(request.owner, request.id) : undefined,
    ]);
  }

  /** Every object under a prefix, parsed; a half-written or unreadable one is left out. */
  private async readAll<T>(prefix: string): Promise<Array<{ key: string; value: T }>> {
    const ks = await this.store.list(prefix);
    const out = await Promise.all(
      ks.map(async (key) => {
        const b = await this.store.get(key);
        const value = b && parseJson<T>(b);
        return value ? [{ key, value }] : [];
      }),
    );
    return out.flat();
  }

  async deliveries(id: string): Promise<DeliveryRecord[]> {
    return (await this.readAll<DeliveryRecord>(keys.deliveries(id))).map((x) => x.value);
  }

  /** What a job used so far, one record per stage (from its owner's ledger). */
  async usage(job: string | JobRequest): Promise<UsageRecord[]> {
    const request = typeof job === 'string' ? await this.request(job) : job;
    if (!request) return [];
    return (await this.readAll<UsageRecord>(keys.jobUsagePrefix(request))).map((x) => x.value);
  }

  /** The job's request; null when there is none. One caught mid-write (a local store) is a TransientError: ask again. */
  async request(id: string): Promise<JobRequest | null> {
    const bytes = await this.store.get(keys.request(id));
    if (!bytes) return null;
    const r = parseJson<JobRequest>(bytes);
    if (!r) throw new TransientError(`the request of job ${id} is being written`);
    return r;
  }

  async append(
    id: string,
    kind: RecordKind,
    stage: string,
    fields: Omit<StageRecord, 'kind' | 'stage' | 'at'> = {},
  ) {
    const at = this.now();
    const record: StageRecord = { kind, stage, at, ...fields };
    await this.store.put(keys.record(id, kind, stage, at), json(record), 'application/json');
    return record;
  }

  async records(id: string): Promise<StageRecord[]> {
    return (await this.readAll<StageRecord>(keys.records(id))).map((x) => x.value);
  }

  /** The records' time, kind and stage from their keys alone: one LIST, no object reads. */
  private async recordKeys(id: string) {
    const ks = await this.store.list(keys.records(id));
    return ks.flatMap((k) => parseRecordKey(k) ?? []);
  }

  /** Record kinds present (keys only): cheap enough to check between steps. */
  async kinds(id: string): Promise<Set<RecordKind>> {
    return new Set((await this.recordKeys(id)).map((r) => r.kind));
  }

  /**
   * Whether the job has ended, from the records' keys alone (one LIST, no reads): cheap
   * enough to poll while waiting for a result. The same rule as deriveState's.
   */
  async isTerminal(request: JobRequest): Promise<boolean> {
    const last = request.stages[request.stages.length - 1];
    return (await this.recordKeys(request.id)).some(
      (r) => TERMINAL_KINDS.has(r.kind) || (r.kind === 'done' && r.stage === last),
    );
  }

  /**
   * Changes whenever the job's records or its running stage's progress do: two requests
   * (a LIST and a GET), where reading the whole state takes one per object. For watchers.
   */
  async changeToken(request: JobRequest): Promise<string> {
    const records = await this.recordKeys(request.id);
    const done = new Set(records.filter((r) => r.kind === 'done').map((r) => r.stage));
    const running = request.stages.find((st) => !done.has(st));
    const [p, previews] = await Promise.all([
      running ? this.store.get(keys.progress(request.id, running)) : null,
      // A partial image is news as soon as it is stored, not at the stage's next progress write.
      request.spec.previews ? this.previews(request.id) : [],
    ]);
    return `${JSON.stringify(records)}|${p ? decoder.decode(p) : ''}|${previews.length}`;
  }

  async setProgress(id: string, stage: string, step: number, of: number): Promise<void> {
    await this.store.put(keys.progress(id, stage), json({ step, of, at: this.now() }), 'application/json');
  }

  async progress(id: string): Promise<Record<string, { step: number; of: number; at: number }>> {
    const prefix = keys.progressPrefix(id);
    const all = await this.readAll<{ step: number; of: number; at: number }>(prefix);
    return Object.fromEntries(all.map((x) => [x.key.slice(prefix.length, -'.json'.length), x.value]));
  }

  async state(id: string): Promise<JobState | null> {
    const request = await this.request(id);
    if (!request) return null;
    const [records, progress, usage, deliveries, previews] = await Promise.all([
      this.records(id),
      this.progress(id),
      this.usage(request),
      request.webhook ? this.deliveries(id) : [],
      request.spec.previews ? this.previews(id) : [],
    ]);
    return { ...deriveState(request, records, progress, usage, deliveries), previews };
  }

  /** Writes one partial image (a stage run again writes the same bytes under the same key). */
  async putPreview(id: string, index: number, label: string, png: Uint8Array): Promise<void> {
    await this.store.put(keys.preview(id, index, label), png, 'image/png');
  }

  /** The partial images written so far, in order (keys only: one LIST). */
  async previews(id: string): Promise<{ index: number; label: string }[]> {
    const prefix = keys.previews(id);
    const found = (await this.store.list(prefix)).flatMap((k) => {
      const m = /^(\d+)-(.+)\.png$/.exec(k.slice(prefix.length));
      return m ? [{ index: Number(m[1]), label: m[2]! }] : [];
    });
    return found.sort((a, b) => a.index - b.index);
  }

  preview(id: string, index: number, label: string): Promise<Uint8Array | null> {
    return this.store.get(keys.preview(id, index, label));
  }

  /** Cancels a job unless it already finished; returns the state after. */
  async cancel(id: string): Promise<JobState | null> {
    const state = await this.state(id);
    if (!state || TERMINAL.includes(state.status)) return state;
    // The last stage may be finishing right now: whichever claims the outcome first decides.
    if (!(await this.claimOutcome(id, 'canceled'))) return this.state(id);
    await this.append(id, 'cancelled', state.stage ?? 'job');
    await this.finished(state.request);
    return this.state(id);
  }

  /**
   * Claims how the job ends, once (a conditional write): the last stage claims "succeeded"
   * before it writes the image, a cancel claims "canceled". True when the outcome is this one
   * (claimed now, or earlier by the same side: a redelivered last stage).
   */
  async claimOutcome(id: string, outcome: 'succeeded' | 'canceled'): Promise<boolean> {
    const path = keys.outcome(id);
    if (await this.store.putIfAbsent(path, outcome, 'text/plain')) return true;
    const held = await this.store.get(path);
    return held !== null && decoder.decode(held) === outcome;
  }

  /** An owner's jobs, newest first, at most `limit`; ids whose request is gone are left out. */
  async listByOwner(owner: string, limit: number): Promise<JobState[]> {
    const listed = await this.store.list(keys.ownerJobsPrefix(owner));
    const ids = listed.slice(0, limit).map((k) => k.slice(k.lastIndexOf('-') + 1));
    const states = await Promise.all(ids.map((id) => this.state(id)));
    return states.filter((s): s is JobState => s !== null && s.request.owner === owner);
  }

  /** An owner's usage by day; closed days come from their roll-ups (one read each). */
  usageByDay(owner: string): Promise<DayUsage[]> {
    return dailyUsage(this.store, owner, this.now());
  }

  /** Bills one stage of one job: the key is deterministic, so a rerun overwrites, never adds. */
  async bill(record: UsageRecord): Promise<void> {
    await this.store.put(
      keys.ledger(record.owner, record.day, record.jobId, record.stage),
      json(record),
      'application/json',
    );
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
   * Claims an Idempotency-Key for a job with a conditional write (of two racing requests,
   * one wins); the loser gets the claim that won. (Read first as well: a replay needs no
   * write, and a store that ignores the condition still serves sequential retries.)
   */
  async claimIdempotency(
    owner: string,
    keyHash: string,
    claim: IdempotencyClaim,
  ): Promise<{ won: boolean; held: IdempotencyClaim | null }> {
    const path = keys.idempotency(owner, keyHash);
    const won =
      !(await this.store.exists(path)) &&
      (await this.store.putIfAbsent(path, json(claim), 'application/json'));
    if (won) return { won, held: claim };
    const bytes = await this.store.get(path);
    return { won, held: bytes && parseJson<IdempotencyClaim>(bytes) };
  }

  /** Frees a key whose request was refused, so a corrected request can use it. */
  async releaseIdempotency(owner: string, keyHash: string): Promise<void> {
    await this.store.delete(keys.idempotency(owner, keyHash));
  }

  async activeIds(): Promise<string[]> {
    return (await this.store.list(keys.activePrefix)).map((k) => k.slice(keys.activePrefix.length));
  }

  /**
   * Re-enqueues the next stage of every unfinished job that has shown no activity for
   * `staleMs` (a lost message, a worker killed mid-stage, a stack restarted). Duplicates
   * are harmless: workers skip stages whose output exists.
   */
  async sweep(enqueue: Enqueue, staleMs: number): Promise<{ requeued: string[]; finished: string[] }> {
    const requeued: string[] = [];
    const finished: string[] = [];
    for (const id of await this.activeIds()) {
      const request = await this.request(id);
      if (!request) continue;
      const [records, progress] = await Promise.all([this.records(id), this.progress(id)]);
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
