/**
 * The concurrent-job quota: one item per key whose `places` map holds its unfinished jobs
 * (job id → when the place was taken). A claim is one conditional update, "add these ids if
 * the map then holds at most `max`": of racing requests exactly as many win as there are
 * places, the rest are refused at once (no retry loop, nothing acts on a count read earlier).
 *
 * A place is given back by removing its job's key from the map, which is idempotent: a
 * release run twice (a redelivered last stage, the sweep after a crash) frees one place, never
 * two. A job that ended but whose release was lost (a crash between the outcome and the
 * release) still holds its place until the sweep releases every ended job it finds active. A
 * place whose job was never created (its request died between the claim and the job) is freed
 * after `staleMs` by the next claim that finds the map full.
 */
import type { StateTable } from '@baton/aws';

const key = (owner: string) => ({ pk: `owner#${owner}`, sk: 'quota' });

/** The pool of a key's batch lines (BATON_BATCH_IN_FLIGHT across all its batches), apart from its own jobs'. */
export const batchPool = (owner: string | null | undefined) => `batch#${owner ?? 'local'}`;

/** The pool a job's place is in: its key's, or its key's batch lines'; none for an unowned job outside a batch. */
export const quotaPoolOf = (r: { owner?: string | undefined; batch?: unknown }) =>
  r.batch ? batchPool(r.owner) : r.owner;

export class QuotaLedger {
  constructor(
    private readonly table: StateTable,
    private readonly jobExists: (id: string) => Promise<boolean>,
    private readonly now: () => number = Date.now,
    private readonly staleMs = 60_000,
  ) {}

  /**
   * Takes a place for every job id, or none: false when they would pass `max`. One conditional
   * update decides; only when it is refused does the claim read the item, to tell a full quota
   * (refused) from a key's first claim (the item is made) or abandoned places (freed), and then
   * tries again: at most three updates, never a loop on contention.
   */
  async claim(owner: string, jobIds: readonly string[], max: number): Promise<boolean> {
    if (jobIds.length > max) return false;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.take(owner, jobIds, max)) return true;
      const held = (await this.table.get(key(owner)))?.places as Record<string, number> | undefined;
      if (!held) {
        // The key's first claim: the map must exist before a place can be set in it.
        await this.table.put({ ...key(owner), places: {} }, { notExists: ['pk'] });
        continue;
      }
      const room = max - Object.keys(held).length;
      if (room >= jobIds.length) continue; // places were given back since the update
      // Full: places of jobs that were never created and are old enough to be abandoned go.
      const stale = await this.abandoned(held, jobIds.length - room);
      if (stale.length === 0) return false;
      await this.table.update(key(owner), { remove: stale.map((id) => `places.${id}`) });
    }
    return false;
  }

  private async take(owner: string, jobIds: readonly string[], max: number): Promise<boolean> {
    const at = this.now();
    const taken = await this.table.update(
      key(owner),
      { set: Object.fromEntries(jobIds.map((id) => [`places.${id}`, at])) },
      { exists: ['places'], sizeAtMost: { path: 'places', max: max - jobIds.length } },
    );
    return taken !== null;
  }

  /** Gives a job's place back (idempotent: a second release frees nothing more). */
  async release(owner: string, jobId: string): Promise<void> {
    await this.table.update(key(owner), { remove: [`places.${jobId}`] }, { exists: ['places'] });
  }

  /** Unfinished jobs holding a place. */
  async holders(owner: string): Promise<string[]> {
    return Object.keys(((await this.table.get(key(owner)))?.places as Record<string, number>) ?? {});
  }

  /** Places older than staleMs whose job does not exist, once enough of them are needed. */
  private async abandoned(places: Record<string, number>, needed: number): Promise<string[]> {
    if (needed <= 0) return [];
    const old = Object.entries(places).filter(([, at]) => this.now() - at >= this.staleMs);
    const gone = await Promise.all(old.map(async ([id]) => ((await this.jobExists(id)) ? [] : [id])));
    return gone.flat();
  }
}
