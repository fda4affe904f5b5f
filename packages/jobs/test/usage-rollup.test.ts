/** Usage by day: closed days are read from their roll-up, not record by record. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Item, MemoryStateTable, type QueryInput } from '@baton/aws';
import { dailyUsage, putUsage, type UsageRecord } from '../src/index.ts';

const DAY = 86_400_000;
const now = Date.parse('2026-12-01T12:00:00Z');

function record(jobId: string, day: string, stage: string): UsageRecord {
  return {
    jobId,
    owner: 'k',
    stage,
    day,
    computeMs: 100,
    steps: 10,
    pixels: 4096,
    batch: 1,
    costUsd: 0.001,
    complete: true,
    at: 0,
  };
}

test('a closed day is summed once into a roll-up; later reads query only the roll-ups and the open days', async () => {
  const table = new MemoryStateTable(() => now);
  const put = (r: UsageRecord) => putUsage(table, r, 400);
  const old = new Date(now - 10 * DAY).toISOString().slice(0, 10);
  const today = new Date(now).toISOString().slice(0, 10);
  for (let i = 0; i < 30; i++)
    for (const stage of ['base', 'decode']) await put(record(`job${i}`, old, stage));
  await put(record('jobT', today, 'base'));
  // A redelivered stage overwrites its record: billed once.
  await put(record('jobT', today, 'base'));
  const first = await dailyUsage(table, 'k', now);
  assert.deepEqual(
    first.map((d) => [d.date, d.jobs, d.stages, d.steps]),
    [
      [old, 30, 60, 600],
      [today, 1, 1, 10],
    ],
  );
  const read: Item[] = [];
  const query = table.query.bind(table);
  table.query = async (q: QueryInput) => {
    const r = await query(q);
    read.push(...r.items);
    return r;
  };
  assert.deepEqual(await dailyUsage(table, 'k', now), first);
  assert.equal(read.length, 2, 'the old day from its roll-up (1), today from its one record (1)');
});
