/** Requests a hostile tenant sends: refused with a 4xx naming the field, and nothing is created. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBlobStore } from '@baton/aws';
import { JobStore } from '@baton/jobs';
import { DEFAULT_MODEL_DIR } from '@baton/pipeline';
import { loadManifest } from '@baton/runtime/manifest';
import { shapesExpander } from '@baton/service';
import { createApp, MAX_BODY_BYTES } from '../src/index.ts';

async function setup(webhookAllowedHosts: string[] = []) {
  const store = new MemoryBlobStore();
  const sent: unknown[] = [];
  const app = createApp({
    jobs: new JobStore(store),
    manifest: await loadManifest(DEFAULT_MODEL_DIR),
    expander: shapesExpander,
    enqueue: async (m) => {
      sent.push(m);
    },
    webhookAllowedHosts,
    config: { syncWaitMs: 0 },
  });
  const post = (path: string, body: string | object) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { app, store, sent, post };
}

test('a webhook to an internal address is a 400 naming webhook.url, and makes no job', async () => {
  const { post, store, sent } = await setup();
  for (const url of [
    'http://169.254.169.254/',
    'http://10.0.0.1/',
    'http://localhost/',
    'http://localhost./',
    'http://[::1]/',
    'http://0x7f000001/',
  ]) {
    const r = await post('/v1/jobs', { prompt: 'dot', webhook: { url } });
    assert.equal(r.status, 400, url);
    const e = (await r.json()) as { error: { param: string; message: string } };
    assert.equal(e.error.param, 'webhook.url', url);
  }
  assert.equal(store.objects.size, 0);
  assert.equal(sent.length, 0);
});

test('the allow-list admits a local receiver', async () => {
  const { post } = await setup(['127.0.0.1:9999']);
  const r = await post('/v1/jobs', { prompt: 'dot', webhook: { url: 'http://127.0.0.1:9999/hook' } });
  assert.equal(r.status, 202);
});

test('a body over the limit is a 413 in OpenAI’s error shape, refused before it is read whole', async () => {
  const { post, store } = await setup();
  const r = await post('/v1/jobs', { prompt: 'dot', pad: 'x'.repeat(MAX_BODY_BYTES) });
  assert.equal(r.status, 413);
  const e = (await r.json()) as { error: { param: string; type: string } };
  assert.equal(e.error.param, 'body');
  assert.equal(e.error.type, 'invalid_request_error');
  assert.equal(store.objects.size, 0);
});

test('a 400 on any image makes no job: seed + n − 1 past the seed range', async () => {
  const { post, store, sent } = await setup();
  const r = await post('/v1/images/generations', { prompt: 'dot', n: 3, seed: 4294967294 });
  assert.equal(r.status, 400);
  assert.equal(((await r.json()) as { error: { param: string } }).error.param, 'seed');
  assert.equal(store.objects.size, 0);
  assert.equal(sent.length, 0);
});

test('cancelling the job behind a waiting images request answers 409 job_canceled, not a 500', async () => {
  const store = new MemoryBlobStore();
  const jobs = new JobStore(store);
  const ids: string[] = [];
  const app = createApp({
    jobs,
    manifest: await loadManifest(DEFAULT_MODEL_DIR),
    expander: shapesExpander,
    enqueue: async (m) => {
      ids.push(m.jobId);
    },
    config: { syncWaitMs: 10_000, pollMs: 5 },
  });
  const waiting = app.request('/v1/images/generations', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'dot', size: '64x64' }),
  });
  while (ids.length === 0) await new Promise((r) => setImmediate(r));
  await app.request(`/v1/jobs/${ids[0]}/cancel`, { method: 'POST' });
  const r = await waiting;
  assert.equal(r.status, 409);
  assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'job_canceled');
});

test('a cancel that comes after the last stage claimed the outcome finds the job succeeded', async () => {
  const store = new MemoryBlobStore();
  const jobs = new JobStore(store);
  const app = createApp({
    jobs,
    manifest: await loadManifest(DEFAULT_MODEL_DIR),
    expander: shapesExpander,
    enqueue: async () => {},
  });
  const r = await app.request('/v1/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'dot', size: '64x64' }),
  });
  const id = ((await r.json()) as { id: string }).id;
  // The decode stage claims the outcome, then (still writing) its done records are not in yet.
  assert.equal(await jobs.claimOutcome(id, 'succeeded'), true);
  const c = await app.request(`/v1/jobs/${id}/cancel`, { method: 'POST' });
  assert.notEqual(((await c.json()) as { status: string }).status, 'canceled');
  for (const stage of ['base', 'decode']) await jobs.append(id, 'done', stage, { ms: 1, steps: 1 });
  assert.equal((await jobs.state(id))?.status, 'succeeded');
  // And the other way round: a cancel that claimed first stands; the last stage gets no say.
  assert.equal(await jobs.claimOutcome(id, 'canceled'), false);
});

test('links are built on the public host the Router forwards, not the function URL’s', async () => {
  const app = createApp({
    jobs: new JobStore(new MemoryBlobStore()),
    manifest: await loadManifest(DEFAULT_MODEL_DIR),
    expander: shapesExpander,
    enqueue: async () => {},
    config: { syncWaitMs: 0 },
  });
  const ask = (headers: Record<string, string>) =>
    app.request('http://abc.lambda-url.us-east-1.on.aws/v1/images/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ prompt: 'dot', size: '64x64', response_format: 'url' }),
    });
  const r = await ask({ 'x-forwarded-host': 'd111.cloudfront.net', 'x-forwarded-proto': 'https' });
  const id = ((await r.json()) as { job_ids: string[] }).job_ids[0];
  const job = (await (
    await app.request(`http://abc.lambda-url.us-east-1.on.aws/v1/jobs/${id}`, {
      headers: { 'x-forwarded-host': 'd111.cloudfront.net' },
    })
  ).json()) as { id: string };
  assert.equal(job.id, id);
  const { publicOrigin } = await import('@baton/service');
  const at = (h: Record<string, string>) =>
    publicOrigin({ req: { url: 'http://abc.lambda-url.us-east-1.on.aws/x', header: (n: string) => h[n] } });
  assert.equal(at({ 'x-forwarded-host': 'd111.cloudfront.net' }), 'https://d111.cloudfront.net');
  assert.equal(at({}), 'http://abc.lambda-url.us-east-1.on.aws');
  assert.equal(
    at({ 'x-forwarded-host': 'evil.com/path?x' }),
    'http://abc.lambda-url.us-east-1.on.aws',
    'a malformed host is ignored',
  );
});
