/**
 * The concurrent-job quota, atomically: one small document per key lists its unfinished jobs,
 * and every change to it is a compare-and-swap (a write with If-Match on the ETag read, or
 * If-None-Match for the first), retried on conflict. Of racing requests for the last places
 * exactly as many win as there are places; nothing acts on a count it read earlier. A job that
 * finishes writes a marker of its own (no contention on the document: a batch of jobs finishing
 * together writes in parallel), and the next claim drops the finished jobs in its write. A place
 * whose job was never created (its request died between the claim and the job) is freed after
 * `staleMs`.
 */
import { type BlobStore, TransientError } from '@baton/aws';
import pRetry from 'p-retry';
import { keys } from './records.ts';

/**
 * A compare-and-swap that lost its race (or read a half-written document): read again. Still
 * losing after every attempt (hundreds of requests of one key at once) is transient too: the
 * API answers 503 with Retry-After, having stored nothing.
 */
class QuotaConflict extends TransientError {
  constructor(owner: string) {
    super(`the quota of ${owner} changed under this update`);
  }
}

/** Job id → when its place was taken (ms). */
type Places = Record<string, number>;

const ATTEMPTS = 50;
const decoder = new TextDecoder();

function parsePlaces(bytes: Uint8Array): Places | undefined {
  try {
    return JSON.parse(decoder.decode(bytes)) as Places;
  } catch {
    return undefined;
  }
}

export class QuotaLedger {
  constructor(
    private readonly store: BlobStore,
    private readonly jobExists: (id: string) => Promise<boolean>,
    private readonly now: () => number = Date.now,
    private readonly staleMs = 60_000,
  ) {}

  /** Takes a place for every job id, or none: false when they would pass `max`. */
  async claim(owner: string, jobIds: readonly string[], max: number): Promise<boolean> {
    let taken = false;
    let dropped: string[] = [];
    await this.update(owner, async (places) => {
      const finished = new Set(await this.finished(owner));
      let live = Object.fromEntries(Object.entries(places).filter(([id]) => !finished.has(id)));
      if (Object.keys(live).length + jobIds.length > max) live = await this.withoutStale(live);
      dropped = Object.keys(places).filter((id) => !(id in live));
      taken = Object.keys(live).length + jobIds.length <= max;
      if (!taken) return null;
      return { ...live, ...Object.fromEntries(jobIds.map((id) => [id, this.now()])) };
    });
    // Their places are gone from the document: the markers have done their work.
    if (taken) await Promise.all(dropped.map((id) => this.store.delete(keys.ownerFinished(owner, id))));
    return taken;
  }

  /** Frees a finished job's place (a marker of its own: never contended). */
  async release(owner: string, jobId: string): Promise<void> {
    await this.store.put(keys.ownerFinished(owner, jobId), '', 'text/plain');
  }

  /** Unfinished jobs holding a place. */
  async holders(owner: string): Promise<string[]> {
    const v = await this.store.getVersioned(keys.ownerQuota(owner));
    const finished = new Set(await this.finished(owner));
    return Object.keys((v && parsePlaces(v.body)) ?? {}).filter((id) => !finished.has(id));
  }

  private async finished(owner: string): Promise<string[]> {
    const prefix = keys.ownerFinishedPrefix(owner);
    return (await this.store.list(prefix)).map((k) => k.slice(prefix.length));
  }

  /** Read, change, write if unchanged since the read; again (p-retry, jittered) on conflict. `change` returns null for no write. */
  private async update(owner: string, change: (p: Places) => Promise<Places | null>): Promise<void> {
    const path = keys.ownerQuota(owner);
    await pRetry(
      async () => {
        const v = await this.store.getVersioned(path);
        const places = v ? parsePlaces(v.body) : {};
        // Unreadable: caught mid-write (a local filesystem-backed S3 is not atomic): read again.
        if (!places) throw new QuotaConflict(owner);
        const next = await change(places);
        if (next === null) return;
        const body = JSON.stringify(next);
        const written = v
          ? await this.store.putIfMatch(path, body, v.etag, 'application/json')
          : await this.store.putIfAbsent(path, body, 'application/json');
        if (!written) throw new QuotaConflict(owner); // another writer got there first
      },
      {
        retries: ATTEMPTS,
        minTimeout: 2,
        maxTimeout: 100,
        factor: 1.5,
        randomize: true,
        // Only a lost race is retried; a storage error is the caller's (the SDK has retried it).
        shouldRetry: ({ error }) => error instanceof QuotaConflict,
      },
    );
  }

  private async withoutStale(places: Places): Promise<Places> {
    const entries = await Promise.all(
      Object.entries(places).map(async ([id, at]) =>
        this.now() - at < this.staleMs || (await this.jobExists(id)) ? [[id, at] as const] : [],
      ),
    );
    return Object.fromEntries(entries.flat());
  }
}
