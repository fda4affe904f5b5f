/**
 * Races against the local stack, whose state is on a DynamoDB-compatible server (dynalite) and
 * whose S3 honours conditional writes as S3 does: the concurrent-job quota and Idempotency-Key
 * hold however requests interleave, and a refusal is a 429 at once, never a 5xx.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { S3BlobStore } from '@baton/aws';
import type { Stack } from '@baton/stack';
import { auth, stack } from './helpers.ts';

let s: Stack;
before(async () => {
  // No workers: every accepted job stays unfinished, so the quota is what stops them.
  s = await stack({ workers: false, limits: { maxConcurrentJobs: 16, ratePerMinute: 100_000, burst: 1000 } });
});
after(() => s?.close());

/** A POST, sent once: whatever it answers is the answer. */
function raw(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${s.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth, ...headers },
    body: JSON.stringify(body),
  });
}

test('the local S3 honours If-None-Match: of 10 racing conditional writers exactly one wins', async () => {
  const store = new S3BlobStore(s.config);
  const won = await Promise.all(
    Array.from({ length: 10 }, (_, i) => store.putIfAbsent('race/one', `writer ${i}`)),
  );
  assert.equal(won.filter(Boolean).length, 1);
});

test('the local S3 survives writes and deletes racing under one prefix (it keeps its folders)', async () => {
  const store = new S3BlobStore(s.config);
  // A marker written and deleted while its neighbours are: the pattern of 200 jobs at once.
  await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      for (let round = 0; round < 6; round++) {
        await store.put(`race-prefix/deep/m${i}`, 'x', 'text/plain');
        await store.delete(`race-prefix/deep/m${i}`);
      }
      await store.put(`race-prefix/deep/n${i}`, 'y', 'text/plain');
    }),
  );
  const left = await store.list('race-prefix/');
  assert.equal(left.length, 100);
  assert.ok(left.every((k) => k.includes('/n')));
});

test('the local S3 lists past 1,000 keys', async () => {
  const store = new S3BlobStore(s.config);
  const keys = Array.from({ length: 1001 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
  for (let i = 0; i < keys.length; i += 100)
    await Promise.all(keys.slice(i, i + 100).map((k) => store.put(k, 'x', 'text/plain')));
  assert.deepEqual(await store.list('many/'), keys);
});

test('20 racing requests for 4 images each never pass a quota of 16 unfinished jobs; the rest get 429 with Retry-After', async () => {
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      raw('/v1/images/generations?wait_ms=0', { prompt: 'dot', size: '64x64', n: 4, seed: i * 10 }),
    ),
  );
  const statuses = answers.map((r) => r.status);
  assert.ok(
    statuses.every((c) => c === 202 || c === 429),
    statuses.join(','),
  );
  for (const r of answers.filter((a) => a.status === 429))
    assert.ok(Number(r.headers.get('retry-after')) > 0);
  const accepted = statuses.filter((c) => c === 202).length;
  assert.equal(accepted, 4, `${accepted} requests of 4 jobs were accepted`);
  const listed = (await (await fetch(`${s.apiUrl}/v1/jobs?limit=50`, { headers: auth })).json()) as {
    data: { status: string }[];
  };
  assert.equal(listed.data.filter((j) => j.status === 'queued').length, 16);
});

test('10 racing requests with one Idempotency-Key make one job, and all answer with it', async () => {
  // Cancel the quota's jobs first so these are admitted.
  const listed = (await (await fetch(`${s.apiUrl}/v1/jobs?limit=50`, { headers: auth })).json()) as {
    data: { id: string }[];
  };
  await Promise.all(listed.data.map((j) => raw(`/v1/jobs/${j.id}/cancel`, {})));
  const answers = await Promise.all(
    Array.from({ length: 10 }, () =>
      raw('/v1/jobs', { prompt: 'dot', seed: 1, size: '64x64' }, { 'idempotency-key': 'order-7' }),
    ),
  );
  const bodies = (await Promise.all(answers.map((r) => r.json()))) as { id: string }[];
  assert.deepEqual(
    answers.map((r) => r.status),
    Array(10).fill(202),
  );
  assert.equal(new Set(bodies.map((b) => b.id)).size, 1);
  const jobs = (await (await fetch(`${s.apiUrl}/v1/jobs?limit=50`, { headers: auth })).json()) as {
    data: { id: string; status: string }[];
  };
  assert.equal(jobs.data.filter((j) => j.status === 'queued').length, 1, 'one job made');
  // The same body with its fields in another order is the same request.
  const reordered = await raw(
    '/v1/jobs',
    { size: '64x64', seed: 1, prompt: 'dot' },
    { 'idempotency-key': 'order-7' },
  );
  assert.equal(((await reordered.json()) as { id: string }).id, bodies[0]!.id);
});
