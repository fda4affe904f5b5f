/**
 * Idempotency-Key on POST /v1/jobs, over an in-memory store that honours conditional
 * writes as S3 does: racing requests make one job; a claim whose creator died is completed;
 * a refused request leaves the key free.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { MemoryBlobStore } from '@baton/aws';
import { JobStore, type StageMessage } from '@baton/jobs';
import { DEFAULT_MODEL_DIR } from '@baton/pipeline';
import { loadManifest } from '@baton/runtime';
import { KeyStore, shapesExpander } from '@baton/service';
import { createApp } from '../src/index.ts';

const KEY = 'bk_idem_0123456789abcdef';
let store: MemoryBlobStore;
let jobs: JobStore;
let app: ReturnType<typeof createApp>;
let keyId: string;
const sent: StageMessage[] = [];

before(async () => {
  store = new MemoryBlobStore();
  jobs = new JobStore(store);
  const keyStore = new KeyStore(jobs.table);
  keyId = (await keyStore.create('idem', KEY)).record.id;
  app = createApp({
    jobs,
    keys: keyStore,
    manifest: await loadManifest(process.env.BATON_MODEL_DIR ?? DEFAULT_MODEL_DIR),
    expander: shapesExpander,
    enqueue: async (m) => {
      sent.push(m);
    },
    config: { idempotencyWaitMs: 5_000 },
  });
});

const create = (body: unknown, idem?: string) =>
  app.request('/v1/jobs', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${KEY}`,
      ...(idem && { 'idempotency-key': idem }),
    },
    body: JSON.stringify(body),
  });

test('eight racing requests with one key and body make one job; all answer with it', async () => {
  sent.length = 0;
  const rs = await Promise.all(
    Array.from({ length: 8 }, () => create({ prompt: 'red circle', seed: 1 }, 'race-1')),
  );
  const bodies = await Promise.all(rs.map((r) => r.json() as Promise<{ id: string }>));
  assert.deepEqual(
    rs.map((r) => r.status),
    Array(8).fill(202),
  );
  assert.equal(new Set(bodies.map((b) => b.id)).size, 1);
  assert.equal(sent.length, 1, 'one job enqueued');
  assert.equal(rs.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 7);
});

test('the same key with another body is a 409 naming the header', async () => {
  assert.equal((await create({ prompt: 'blue square', seed: 2 }, 'conflict-1')).status, 202);
  const r = await create({ prompt: 'blue square', seed: 3 }, 'conflict-1');
  assert.equal(r.status, 409);
  const b = (await r.json()) as { error: { param: string; code: string } };
  assert.equal(b.error.param, 'Idempotency-Key');
  assert.equal(b.error.code, 'idempotency_conflict');
});

test('a claim whose request died before making the job is completed by the retry, under the claimed id', async () => {
  sent.length = 0;
  const { createHash } = await import('node:crypto');
  const body = { prompt: 'green triangle', seed: 4 };
  const keyHash = createHash('sha256').update('orphan-1').digest('hex');
  const bodyHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  await jobs.idempotency.claim(keyId, keyHash, {
    bodyHash,
    jobId: 'job_orphanorphanorph',
    at: Date.now() - 60_000,
  });
  const r = await create(body, 'orphan-1');
  assert.equal(r.status, 202);
  assert.equal(((await r.json()) as { id: string }).id, 'job_orphanorphanorph');
  assert.equal(sent.length, 1);
  assert.ok(await jobs.request('job_orphanorphanorph'));
});

test('a request refused as invalid leaves its key free for the corrected request', async () => {
  const bad = await create({ prompt: 'red circle', size: '999x999' }, 'fixme-1');
  assert.equal(bad.status, 400);
  const good = await create({ prompt: 'red circle', size: '128x128' }, 'fixme-1');
  assert.equal(good.status, 202);
});
