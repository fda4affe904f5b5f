/** The quota ledger under races: one conditional update per claim never passes the limit, however claims interleave. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStateTable } from '@baton/aws';
import fc from 'fast-check';
import { QuotaLedger } from '../src/index.ts';

/** A memory table whose every call yields a random number of turns: racing callers interleave. */
function jitteryTable(seed: number) {
  const table = new MemoryStateTable();
  let x = seed || 1;
  const turns = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % 4;
  };
  const yieldTurns = async () => {
    for (let i = turns(); i > 0; i--) await Promise.resolve();
  };
  for (const m of ['get', 'put', 'update', 'delete', 'query'] as const) {
    const f = (table[m] as (...a: unknown[]) => Promise<unknown>).bind(table);
    (table as unknown as Record<string, unknown>)[m] = async (...a: unknown[]) => {
      await yieldTurns();
      const r = await f(...a);
      await yieldTurns();
      return r;
    };
  }
  return table;
}

test('property: racing claims of 1–4 places never hold more than the limit, and free places are taken', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 1000 }),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 12 }),
      fc.integer({ min: 1, max: 10 }),
      async (seed, wants, max) => {
        const ledger = new QuotaLedger(jitteryTable(seed), async () => true);
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
    new MemoryStateTable(),
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

test('a place is given back once: releasing the same job twice frees one place, not two', async () => {
  const ledger = new QuotaLedger(new MemoryStateTable(), async () => true);
  assert.equal(await ledger.claim('k', ['a', 'b'], 2), true);
  await ledger.release('k', 'a');
  await ledger.release('k', 'a');
  assert.deepEqual(await ledger.holders('k'), ['b']);
  assert.equal(await ledger.claim('k', ['c'], 2), true);
  assert.equal(await ledger.claim('k', ['d'], 2), false, 'the second release freed nothing');
});

test('a claim is one conditional update: a refusal comes back at once, with no retry loop', async () => {
  const table = new MemoryStateTable();
  const ledger = new QuotaLedger(table, async () => true);
  assert.equal(await ledger.claim('k', ['a'], 1), true);
  let calls = 0;
  for (const m of ['get', 'put', 'update'] as const) {
    const f = (table[m] as (...a: unknown[]) => Promise<unknown>).bind(table);
    (table as unknown as Record<string, unknown>)[m] = async (...a: unknown[]) => {
      calls++;
      return f(...a);
    };
  }
  assert.equal(await ledger.claim('k', ['b'], 1), false);
  // The refused update, and one read to look for abandoned places (there are none: all fresh).
  assert.equal(calls, 2);
  assert.equal(await ledger.claim('k', ['x', 'y', 'z'], 2), false, 'more than the limit at once');
});
