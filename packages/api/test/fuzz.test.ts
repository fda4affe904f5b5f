/**
 * Property-based fuzzing of every endpoint (bodies, queries, headers): the API answers only
 * 2xx or 4xx, every error in OpenAI's shape, and no 4xx creates a job or bills anything.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBlobStore } from '@baton/aws';
import { JobStore } from '@baton/jobs';
import { DEFAULT_MODEL_DIR } from '@baton/pipeline';
import { loadManifest } from '@baton/runtime/manifest';
import { KeyStore, shapesExpander } from '@baton/service';
import fc from 'fast-check';
import { createApp } from '../src/index.ts';

const FIELDS = [
  'prompt',
  'size',
  'seed',
  'n',
  'variant',
  'steps_base',
  'steps_relay',
  'guidance',
  'guidance_relay',
  'response_format',
  'model',
  'expand',
  'webhook',
] as const;

const value = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('128x128', '64x64', 'auto', 'red circle', 'url', 'standard', 'distilled', 'shapes-v1'),
  fc.integer({ min: -10, max: 5000 }),
  fc.constantFrom(4294967295, 4294967296, -0, 1e308, Number.MAX_SAFE_INTEGER),
  fc.record({ url: fc.oneof(fc.webUrl(), fc.string()), events: fc.array(fc.string({ maxLength: 12 })) }),
);
const body = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 }).map((o) => JSON.stringify(o)),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);
const id = fc.oneof(
  fc.constant('job_aaaaaaaaaaaaaaaa'),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
);
const request = fc.record({
  route: fc.oneof(
    fc.constant({ method: 'POST', path: '/v1/images/generations' }),
    fc.constant({ method: 'POST', path: '/v1/jobs' }),
    fc.constant({ method: 'GET', path: '/v1/jobs' }),
    fc.constant({ method: 'GET', path: '/v1/usage' }),
    id.map((i) => ({ method: 'GET', path: `/v1/jobs/${i}` })),
    id.map((i) => ({ method: 'POST', path: `/v1/jobs/${i}/cancel` })),
    id.map((i) => ({ method: 'GET', path: `/v1/jobs/${i}/image` })),
    fc.string({ maxLength: 20 }).map((p) => ({ method: 'GET', path: `/v1/${encodeURIComponent(p)}` })),
  ),
  query: fc.dictionary(
    fc.constantFrom('wait_ms', 'limit', 'expires', 'signature', 'x'),
    fc.string({ maxLength: 12 }),
    {
      maxKeys: 3,
    },
  ),
  body,
  contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', ''),
  auth: fc.constantFrom('good', 'bad', 'none'),
  idempotencyKey: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
});

test('fuzz: every endpoint answers 2xx or 4xx, errors in OpenAI shape, and no 4xx creates a job or usage', async () => {
  const store = new MemoryBlobStore();
  const jobs = new JobStore(store);
  const keys = new KeyStore(jobs.table);
  const { key } = await keys.create('fuzzer');
  const app = createApp({
    jobs,
    keys,
    manifest: await loadManifest(DEFAULT_MODEL_DIR),
    expander: shapesExpander,
    enqueue: async () => {},
    limits: { ratePerMinute: 1e9, burst: 1e9, maxConcurrentJobs: 1e6 },
    config: { syncWaitMs: 0, pollMs: 1 },
  });
  const created = () =>
    [...store.objects.keys()].filter((k) => k.endsWith('/request.json') || k.startsWith('usage/')).length;
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const headers: Record<string, string> = {};
      if (r.contentType) headers['content-type'] = r.contentType;
      if (r.auth === 'good') headers.authorization = `Bearer ${key}`;
      if (r.auth === 'bad') headers.authorization = 'Bearer bk_not_a_key_at_all_0000';
      if (r.idempotencyKey !== undefined)
        headers['idempotency-key'] = r.idempotencyKey.replace(/[^\x20-\x7e]/g, '');
      const qs = new URLSearchParams(r.query).toString();
      const before = created();
      const res = await app.request(`${r.route.path}${qs ? `?${qs}` : ''}`, {
        method: r.route.method,
        headers,
        ...(r.route.method === 'POST' && { body: r.body }),
      });
      const text = await res.text();
      assert.ok(res.status < 500, `${r.route.method} ${r.route.path} → ${res.status}: ${text}`);
      if (res.status >= 400) {
        const e = JSON.parse(text) as { error?: Record<string, unknown> };
        assert.equal(typeof e.error?.message, 'string');
        assert.equal(typeof e.error?.type, 'string');
        assert.ok(e.error?.param === null || typeof e.error?.param === 'string');
        assert.ok('code' in (e.error ?? {}));
        assert.equal(created(), before, `a ${res.status} created something`);
      }
    }),
    { numRuns: 3000 },
  );
});
