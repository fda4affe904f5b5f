/** Keys, isolation, limits and idempotency, through app.request on the in-memory store (no workers). */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { MemoryBlobStore, MemoryStateTable } from '@baton/aws';
import { JobStore, usageDay } from '@baton/jobs';
import { DEFAULT_MODEL_DIR } from '@baton/pipeline';
import { loadManifest } from '@baton/runtime';
import { DuplicateKeyNameError, KEY_CACHE_MAX, KeyStore, shapesExpander } from '@baton/service';
import { createApp } from '../src/index.ts';

let keys: KeyStore;
let A: string;
let B: string;
let app: ReturnType<typeof createApp>;
let jobStore: JobStore;

before(async () => {
  const store = new MemoryBlobStore();
  jobStore = new JobStore(store);
  keys = new KeyStore(jobStore.table, 0);
  A = (await keys.create('alice')).key;
  B = (await keys.create('bob')).key;
  app = createApp({
    jobs: jobStore,
    enqueue: async () => {},
    keys,
    limits: { ratePerMinute: 600, burst: 8, maxConcurrentJobs: 5 },
    manifest: await loadManifest(process.env.BATON_MODEL_DIR ?? DEFAULT_MODEL_DIR),
    expander: shapesExpander,
    config: { syncWaitMs: 100, pollMs: 20 },
  });
});

const call = (
  method: string,
  path: string,
  key: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
) =>
  app.request(path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(key && { authorization: `Bearer ${key}` }),
      ...headers,
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });

test('keys are stored only as hashes', async () => {
  const store = jobStore.store;
  for (const k of await store.list('keys/')) {
    const text = new TextDecoder().decode((await store.get(k))!);
    assert.ok(!text.includes(A) && !text.includes(B));
  }
  assert.match(A, /^bk_[a-z2-7]{32}$/);
});

test('no key, a wrong key, a revoked key → 401 in OpenAI error shape', async () => {
  const none = await call('POST', '/v1/jobs', null, { prompt: 'x' });
  assert.equal(none.status, 401);
  assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'invalid_api_key');
  assert.equal((await call('GET', '/v1/jobs', 'bk_wrong_wrong_wrong_wrong')).status, 401);
  const c = await keys.create('carol');
  assert.equal((await call('GET', '/v1/jobs', c.key)).status, 200);
  await keys.revoke('carol');
  assert.equal((await call('GET', '/v1/jobs', c.key)).status, 401);
});

test('isolation: another key’s job is 404 on every route, and lists show only your own', async () => {
  const r = await call('POST', '/v1/jobs', A, { prompt: 'red circle', seed: 1 });
  assert.equal(r.status, 202);
  const id = ((await r.json()) as { id: string }).id;
  assert.equal((await call('GET', `/v1/jobs/${id}`, A)).status, 200);
  for (const [method, path] of [
    ['GET', `/v1/jobs/${id}`],
    ['GET', `/v1/jobs/${id}/events`],
    ['POST', `/v1/jobs/${id}/cancel`],
    ['GET', `/v1/jobs/${id}/image`],
  ] as const) {
    const res = await call(method, path, B, method === 'POST' ? {} : undefined);
    assert.equal(res.status, 404, `${method} ${path} as another key`);
  }
  const mine = (await (await call('GET', '/v1/jobs', A)).json()) as { data: { id: string }[] };
  const theirs = (await (await call('GET', '/v1/jobs', B)).json()) as { data: { id: string }[] };
  assert.ok(mine.data.some((j) => j.id === id));
  assert.ok(!theirs.data.some((j) => j.id === id));
  // The job is still running (not cancelled by B).
  assert.equal(
    ((await (await call('GET', `/v1/jobs/${id}`, A)).json()) as { status: string }).status,
    'queued',
  );
  // Usage is per key too: a stage billed to A's job shows in A's ledger, never in B's.
  const request = (await jobStore.request(id))!;
  await jobStore.bill({
    jobId: id,
    owner: request.owner!,
    stage: 'base',
    day: usageDay(request.createdAt),
    computeMs: 120,
    steps: 32,
    pixels: 4096,
    batch: 1,
    costUsd: 0.001,
    complete: true,
    at: Date.now(),
  });
  type Usage = { key: string; data: { jobs: number; steps: number }[] };
  const usageOf = async (k: string) => (await (await call('GET', '/v1/usage', k)).json()) as Usage;
  const [a, b] = [await usageOf(A), await usageOf(B)];
  assert.equal(a.key, request.owner);
  assert.notEqual(b.key, a.key);
  assert.deepEqual(
    a.data.map((d) => [d.jobs, d.steps]),
    [[1, 32]],
  );
  assert.deepEqual(b.data, []);
});

test('Idempotency-Key: same key and body → same job; different body → 409', async () => {
  const h = { 'idempotency-key': 'order-42' };
  const a = await call('POST', '/v1/jobs', B, { prompt: 'blue box', seed: 3 }, h);
  const b = await call('POST', '/v1/jobs', B, { prompt: 'blue box', seed: 3 }, h);
  const ja = (await a.json()) as { id: string };
  const jb = (await b.json()) as { id: string };
  assert.equal(ja.id, jb.id);
  assert.equal(b.headers.get('idempotent-replayed'), 'true');
  const c = await call('POST', '/v1/jobs', B, { prompt: 'green box', seed: 3 }, h);
  assert.equal(c.status, 409);
  assert.equal(((await c.json()) as { error: { param: string } }).error.param, 'Idempotency-Key');
  // Keys are per API key: A may use the same Idempotency-Key for its own job.
  const d = await call('POST', '/v1/jobs', A, { prompt: 'green box', seed: 3 }, h);
  assert.equal(d.status, 202);
});

test('concurrent-job quota → 429 with Retry-After, and the refused job (written beside the claim) is taken back; cancelling frees a slot', async () => {
  const d = await keys.create('dave');
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await call('POST', '/v1/jobs', d.key, { prompt: 'dot', seed: i });
    assert.equal(r.status, 202);
    ids.push(((await r.json()) as { id: string }).id);
  }
  const over = await call('POST', '/v1/jobs', d.key, { prompt: 'dot', seed: 9 });
  assert.equal(over.status, 429);
  assert.ok(Number(over.headers.get('retry-after')) >= 1);
  assert.equal(
    ((await over.json()) as { error: { type: string; code: string } }).error.code,
    'concurrency_limit_exceeded',
  );
  const listed = (await (await call('GET', '/v1/jobs', d.key)).json()) as { data: { id: string }[] };
  assert.deepEqual(listed.data.map((j) => j.id).sort(), [...ids].sort(), 'no item of the refused job');
  await call('POST', `/v1/jobs/${ids[0]}/cancel`, d.key, {});
  assert.equal((await call('POST', '/v1/jobs', d.key, { prompt: 'dot', seed: 10 })).status, 202);
});

test('rate limit → 429 with Retry-After once the burst is spent', async () => {
  const e = await keys.create('erin');
  const statuses: number[] = [];
  let retry: string | null = null;
  for (let i = 0; i < 12; i++) {
    const r = await call('POST', '/v1/images/generations', e.key, { prompt: 'dot', size: 'abc' });
    statuses.push(r.status);
    if (r.status === 429) retry = r.headers.get('retry-after');
  }
  // The size is invalid, but a request spends its token before its body is checked in full.
  assert.ok(statuses.includes(429), statuses.join(','));
  assert.ok(Number(retry) >= 1);
});

test('key names are unique among active keys; a revoked name can be used again', async () => {
  await keys.create('dora');
  await assert.rejects(keys.create('dora'), DuplicateKeyNameError);
  await keys.revoke('dora');
  const again = await keys.create('dora');
  assert.equal(
    (await keys.revoke('dora')).map((r) => r.id).join(),
    again.record.id,
    'revoke by name hits exactly one',
  );
});

test('the verified-key cache is bounded: a stream of random keys cannot grow it past its limit', async () => {
  const k = new KeyStore(new MemoryStateTable(), 60_000);
  for (let i = 0; i < KEY_CACHE_MAX + 50; i++) await k.verify(`bk_random_${i}_padding_padding`);
  const size = (k as unknown as { cache: Map<string, unknown> }).cache.size;
  assert.equal(size, KEY_CACHE_MAX);
});

test('revocation takes effect at once on the instance that revoked', async () => {
  const k = new KeyStore(new MemoryStateTable(), 60_000);
  const { key } = await k.create('eve');
  assert.ok(await k.verify(key), 'cached as valid');
  await k.revoke('eve');
  assert.equal(await k.verify(key), null);
});
