/** What the API says about prompts: warnings on jobs and images, strict requests, /v1/models. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { MemoryBlobStore } from '@baton/aws';
import { JobStore } from '@baton/jobs';
import { DEFAULT_MODEL_DIR } from '@baton/pipeline';
import { loadManifest } from '@baton/runtime';
import { shapesExpander } from '@baton/service';
import { createApp } from '../src/index.ts';

let app: ReturnType<typeof createApp>;

before(async () => {
  const manifest = await loadManifest(process.env.BATON_MODEL_DIR ?? DEFAULT_MODEL_DIR);
  app = createApp({
    jobs: new JobStore(new MemoryBlobStore()),
    manifest,
    expander: shapesExpander,
    enqueue: async () => {},
    config: { syncWaitMs: 50, pollMs: 10 },
  });
});

const post = async (path: string, body: unknown): Promise<{ status: number; json: any }> => {
  const r = await app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, json: await r.json() };
};

test('job objects carry the warnings of their prompt, and none when all of it was understood', async () => {
  const loose = await post('/v1/jobs', { prompt: 'a cat on a sofa', seed: 1 });
  assert.equal(loose.status, 202);
  assert.ok(loose.json.warnings.length >= 2, JSON.stringify(loose.json.warnings));
  assert.ok(loose.json.warnings.some((w: string) => w.includes('"sofa"')));
  const again = await app.request(`/v1/jobs/${loose.json.id}`);
  assert.deepEqual(((await again.json()) as { warnings: string[] }).warnings, loose.json.warnings);
  const clean = await post('/v1/jobs', { prompt: 'a small red dot top left on white', seed: 1 });
  assert.deepEqual(clean.json.warnings, []);
});

test('the images endpoint adds a top-level warnings array', async () => {
  const r = await post('/v1/images/generations', { prompt: 'three red circles', n: 2 });
  assert.equal(r.status, 202); // no workers here: the wait runs out
  assert.ok(
    r.json.warnings.some((w: string) => /at most 2/.test(w)),
    JSON.stringify(r.json),
  );
});

test('strict: true refuses a prompt with an ignored or unsatisfiable part, naming the words, and creates nothing', async () => {
  for (const [prompt, word] of [
    ['a cat on a sofa', 'sofa'],
    ['a pink circle', 'pink'],
    ['three red circles', 'three'],
    ['a blue sqaure', 'sqaure'], // a slip is read back, and a strict request does not guess
  ]) {
    for (const path of ['/v1/jobs', '/v1/images/generations']) {
      const r = await post(path, { prompt, strict: true });
      assert.equal(r.status, 400, `${path} ${prompt}`);
      assert.equal(r.json.error.code, 'prompt_not_understood');
      assert.equal(r.json.error.param, 'prompt');
      assert.match(r.json.error.message, new RegExp(`"[^"]*\\b${word}\\b[^"]*"`));
    }
  }
  const list = await app.request('/v1/jobs?limit=100');
  const ids = ((await list.json()) as { data: { prompt: string }[] }).data.map((j) => j.prompt);
  assert.ok(!ids.includes('a pink circle'));
  const ok = await post('/v1/jobs', { prompt: 'big blue box top right on white', strict: true });
  assert.equal(ok.status, 202);
  const bad = await post('/v1/jobs', { prompt: 'a circle', strict: 'yes' });
  assert.equal(bad.json.error.param, 'strict');
});

test('GET /v1/models lists the model as OpenAI does, with its vocabulary; /v1/models/{id} shows one or 404s', async () => {
  const list = (await (await app.request('/v1/models')).json()) as { object: string; data: any[] };
  assert.equal(list.object, 'list');
  const [m] = list.data;
  assert.equal(m.id, 'shapes-v1');
  assert.equal(m.object, 'model');
  assert.equal(m.owned_by, 'baton');
  assert.ok(Number.isInteger(m.created) && m.created > 1_700_000_000);
  assert.deepEqual(m.vocabulary.colours, [
    'red',
    'orange',
    'yellow',
    'green',
    'blue',
    'purple',
    'white',
    'black',
  ]);
  assert.deepEqual(m.vocabulary.shapes, ['circle', 'square', 'triangle']);
  assert.equal(m.vocabulary.max_objects, 2);
  assert.equal(m.vocabulary.positions.length, 9);
  assert.deepEqual(m.sizes, ['64x64', '128x128', '256x256', '512x512']);
  const one = await app.request('/v1/models/shapes-v1');
  assert.deepEqual(await one.json(), m);
  const missing = await app.request('/v1/models/dall-e-3');
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { type: string } }).error.type, 'not_found_error');
});

test('the playground shows the vocabulary beside the prompt box', async () => {
  const html = await (await app.request('/')).text();
  assert.match(html, /What prompts can say/);
  assert.match(html, /circle \(disc, disk, dot/);
  assert.match(html, /id="warnings"/);
});
