/** Usage by day: closed days are read from their roll-up, not record by record. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBlobStore } from '@baton/aws';
import { dailyUsage, keys, type UsageRecord } from '../src/index.ts';

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

test('a closed day is summed once into a roll-up; later reads of it cost one GET, and a new record re-sums it', async () => {
  const store = new MemoryBlobStore();
  const put = (r: UsageRecord) => store.put(keys.ledger(r.owner, r.day, r.jobId, r.stage), JSON.stringify(r));
  const old = new Date(now - 10 * DAY).toISOString().slice(0, 10);
  const today = new Date(now).toISOString().slice(0, 10);
  for (let i = 0; i < 30; i++)
    for (const stage of ['base', 'decode']) await put(record(`job${i}`, old, stage));
  await put(record('jobT', today, 'base'));
  const first = await dailyUsage(store, 'k', now);
  assert.deepEqual(
    first.map((d) => [d.date, d.jobs, d.stages, d.steps]),
    [
      [old, 30, 60, 600],
      [today, 1, 1, 10],
    ],
  );
  let gets = 0;
  const get = store.get.bind(store);
  store.get = async (k) => {
    gets++;
    return get(k);
  };
  assert.deepEqual(await dailyUsage(store, 'k', now), first);
  assert.equal(gets, 2, 'the old day from its roll-up (1), today from its one record (1)');
  // A late record for the old day (a stage run again): the roll-up no longer matches, the day is re-summed.
  await put(record('job99', old, 'base'));
  const again = await dailyUsage(store, 'k', now);
  assert.equal(again[0]!.stages, 61);
});
