/**
 * An owner's usage by day, without one read per record for old days: a day that can no longer
 * change (older than CLOSED_AFTER_DAYS: its jobs' stages have all run, latents expire after a
 * day) is summed once into a roll-up (usage-daily/{owner}/{day}.json) that later reads use while
 * the day's record count is unchanged. Recent days are summed from their records.
 */
import type { BlobStore } from '@baton/aws';
import { keys, type UsageRecord } from './records.ts';

export interface DayUsage {
  date: string;
  jobs: number;
  stages: number;
  computeMs: number;
  steps: number;
  pixels: number;
  costUsd: number;
}

interface Rollup extends DayUsage {
  /** How many records it sums: a roll-up is used only while the day still has exactly these. */
  records: number;
}

const CLOSED_AFTER_DAYS = 2;
const decoder = new TextDecoder();

function parse<T>(b: Uint8Array | null): T | null {
  try {
    return b ? (JSON.parse(decoder.decode(b)) as T) : null;
  } catch {
    return null; // being written: counted on the next read
  }
}

/** Records summed per day (each job counted once a day). */
export function sumByDay(records: readonly UsageRecord[]): DayUsage[] {
  const days = new Map<string, DayUsage & { ids: Set<string> }>();
  for (const r of records) {
    const d = days.get(r.day) ?? {
      date: r.day,
      jobs: 0,
      stages: 0,
      computeMs: 0,
      steps: 0,
      pixels: 0,
      costUsd: 0,
      ids: new Set<string>(),
    };
    d.ids.add(r.jobId);
    d.stages++;
    d.computeMs += r.computeMs;
    d.steps += r.steps;
    d.pixels += r.pixels;
    d.costUsd += r.costUsd;
    days.set(r.day, d);
  }
  return [...days.values()].map(({ ids, ...d }) => ({ ...d, jobs: ids.size }));
}

export async function dailyUsage(store: BlobStore, owner: string, now = Date.now()): Promise<DayUsage[]> {
  const prefix = keys.ledgerPrefix(owner);
  const byDay = new Map<string, string[]>();
  for (const k of await store.list(prefix)) {
    const day = k.slice(prefix.length, prefix.length + 10);
    byDay.set(day, [...(byDay.get(day) ?? []), k]);
  }
  const closedBefore = new Date(now - CLOSED_AFTER_DAYS * 86_400_000).toISOString().slice(0, 10);
  const days = await Promise.all(
    [...byDay].map(async ([day, ks]): Promise<DayUsage | null> => {
      const closed = day < closedBefore;
      if (closed) {
        const r = parse<Rollup>(await store.get(keys.usageRollup(owner, day)));
        if (r && r.records === ks.length) return withoutCount(r);
      }
      const records = (await Promise.all(ks.map(async (k) => parse<UsageRecord>(await store.get(k))))).filter(
        (r): r is UsageRecord => r !== null,
      );
      const [sum] = sumByDay(records);
      if (!sum) return null;
      if (closed && records.length === ks.length) {
        const rollup: Rollup = { ...sum, records: ks.length };
        await store.put(keys.usageRollup(owner, day), JSON.stringify(rollup), 'application/json');
      }
      return sum;
    }),
  );
  return days.filter((d): d is DayUsage => d !== null).sort((a, b) => a.date.localeCompare(b.date));
}

function withoutCount({ records: _, ...d }: Rollup): DayUsage {
  return d;
}
