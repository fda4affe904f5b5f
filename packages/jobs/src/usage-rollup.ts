/**
 * The usage ledger, in the table: one item per stage of a job, under its owner and the job's
 * day (`usage#{owner}` / `day#{day}#{jobId}#{stage}`): deterministic, so a redelivered stage
 * overwrites its item and never bills twice.
 *
 * An owner's usage by day without reading every record of every day: a day that can no longer
 * change (older than CLOSED_AFTER_DAYS: its jobs' stages have all run, latents expire after a
 * day) is summed once into a roll-up item (`rollup#{day}`), and later reads query the roll-ups
 * and only the ledger items after the last rolled-up day.
 */
import { expiresAfter, queryAll, type StateTable } from '@baton/aws';
import type { UsageRecord } from './records.ts';

export interface DayUsage {
  date: string;
  jobs: number;
  stages: number;
  computeMs: number;
  steps: number;
  pixels: number;
  costUsd: number;
}

const CLOSED_AFTER_DAYS = 2;
const DAY_MS = 86_400_000;
const pk = (owner: string) => `usage#${owner}`;
export const usageKeys = {
  ledger: (r: Pick<UsageRecord, 'owner' | 'day' | 'jobId' | 'stage'>) => ({
    pk: pk(r.owner),
    sk: `day#${r.day}#${r.jobId}#${r.stage}`,
  }),
  rollup: (owner: string, day: string) => ({ pk: pk(owner), sk: `rollup#${day}` }),
};

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

/** Writes one stage's usage record in its owner's ledger (kept `keepDays`). */
export async function putUsage(table: StateTable, r: UsageRecord, keepDays: number): Promise<void> {
  await table.put({
    ...usageKeys.ledger(r),
    record: r,
    expiresAt: expiresAfter(Date.parse(r.day), keepDays),
  });
}

export async function dailyUsage(table: StateTable, owner: string, now = Date.now()): Promise<DayUsage[]> {
  const rollups = (await queryAll(table, { pk: pk(owner), prefix: 'rollup#', consistent: true })).map(
    (i) => i.usage as DayUsage,
  );
  const lastRolled = rollups
    .map((r) => r.date)
    .sort()
    .at(-1);
  // Every ledger item after the last rolled-up day: '$' sorts right after '#', so `day#{D}$`
  // follows every `day#{D}#…` key, and 'day$' every `day#…` key.
  const after = lastRolled ? `day#${lastRolled}$` : 'day#';
  const records = (await queryAll(table, { pk: pk(owner), between: [after, 'day$'], consistent: true })).map(
    (i) => i.record as UsageRecord,
  );
  const recent = sumByDay(records);
  const closedBefore = new Date(now - CLOSED_AFTER_DAYS * DAY_MS).toISOString().slice(0, 10);
  await Promise.all(
    recent
      .filter((d) => d.date < closedBefore)
      .map((d) => table.put({ ...usageKeys.rollup(owner, d.date), usage: d })),
  );
  return [...rollups, ...recent].sort((a, b) => a.date.localeCompare(b.date));
}
