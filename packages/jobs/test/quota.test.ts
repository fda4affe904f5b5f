/** The quota ledger under races: compare-and-swap claims never pass the limit, however they interleave. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBlobStore } from '@baton/aws';
import fc from 'fast-check';
import { QuotaLedger } from '../src/index.ts';

/** A memory store whose every call yields a random number of turns: racing callers interleave. */
function jitteryStore(seed: number) {
  const store = new MemoryBlobStore();
  let x = seed || 1;
  const turns = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % 4;
  };
  const yieldTurns = async () => {
    for (let i = turns(); i > 0; i--) await Promise.resolve();
  };
  for (const m of ['get', 'getVersioned', 'put', 'putIfAbsent', 'putIfMatch', 'list', 'delete'] as const) {
    const f = (store[m] as (...a: unknown[]) => Promise<unknown>).bind(store);
    (store as unknown as Record<string, unknown>)[m] = async (...a: unknown[]) => {
      await yieldTurns();
      const r = await f(...a);
      await yieldTurns();
      return r;
    };
  }
  return store;
}

test('property: racing claims of 1–4 places never hold more than the limit, and free places are taken', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 1000 }),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 12 }),
      fc.integer({ min: 1, max: 10 }),
      async (seed, wants, max) => {
        const ledger = new QuotaLedger(jitteryStore(seed), async () => true);
        const results = await Promise.all(
          wants.map((n, r) =>
            ledger.claim(
              'k',
              Array.from({ length: n }, (_, i) => `job${r}_${i}`),
              max,
            ),
          ),
        );
        const held = (await ledger.holders('k')).length;
        const granted = wants.filter((_, i) => results[i]).reduce((a, n) => a + n, 0);
        assert.equal(held, granted);
        assert.ok(held <= max, `${held} held, limit ${max}`);
        // A refused request could not have fit once every claim was in.
        for (const [i, n] of wants.entries()) if (!results[i]) assert.ok(held + n > max || held === 0);
      },
    ),
    { numRuns: 200 },
  );
});

test('a finished job frees its place for the next claim; an abandoned claim is freed after staleMs', async () => {
  let now = 0;
  const exists = new Set<string>(['a']);
  const ledger = new QuotaLedger(
    new MemoryBlobStore(),
    async (id) => exists.has(id),
    () => now,
    1000,
  );
  assert.equal(await ledger.claim('k', ['a', 'ghost'], 2), true);
  assert.equal(await ledger.claim('k', ['b'], 2), false);
  await ledger.release('k', 'a');
  assert.equal(await ledger.claim('k', ['b'], 2), true);
  assert.deepEqual((await ledger.holders('k')).sort(), ['b', 'ghost']);
  // "ghost" was claimed but its job never made: after staleMs its place goes.
  assert.equal(await ledger.claim('k', ['c'], 2), false);
  now = 2000;
  exists.add('b');
  assert.equal(await ledger.claim('k', ['c'], 2), true);
  assert.deepEqual((await ledger.holders('k')).sort(), ['b', 'c']);
});

test('a claim that keeps losing its compare-and-swap gives up as a transient error (the API answers 503), taking no place', async () => {
  const { TransientError, isTransient } = await import('@baton/aws');
  const store = new MemoryBlobStore();
  await store.put('owners/k/quota.json', '{}', 'application/json');
  // Another writer wins every race.
  store.putIfMatch = async () => false;
  store.putIfAbsent = async () => false;
  const ledger = new QuotaLedger(store, async () => true);
  const err = await new QuotaLedger(store, async () => true).claim('k', ['job_a'], 16).catch((e) => e);
  assert.ok(err instanceof TransientError && isTransient(err), String(err));
  assert.deepEqual(await ledger.holders('k'), []);
});
