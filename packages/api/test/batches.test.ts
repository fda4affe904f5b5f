/**
 * The Batch API on the in-memory store: files in, batches checked and recorded by the API,
 * fanned out, settled and finalized by the batch worker; jobs are finished here as a stage
 * worker would finish them (their records and image), so no model runs.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { MemoryBlobStore } from '@baton/aws';
import { advanceBatch, type BatchMessage, batchContext, sweepBatches } from '@baton/batches';
import { JobStore } from '@baton/jobs';
import { DEFAULT_MODEL_DIR } from '@baton/pipeline';
import { loadManifest, type Manifest } from '@baton/runtime';
import { LinkSigner, requestSchemas, shapesExpander } from '@baton/service';
import { createApp } from '../src/index.ts';

let manifest: Manifest;
before(async () => {
  manifest = await loadManifest(process.env.BATON_MODEL_DIR ?? DEFAULT_MODEL_DIR);
});

function setup(o: { inFlight?: number; maxLines?: number; chunkBytes?: number } = {}) {
  const jobs = new JobStore(new MemoryBlobStore());
  const queued: BatchMessage[] = [];
  const deps = {
    jobs,
    manifest,
    expander: shapesExpander,
    enqueue: async () => {},
    enqueueBatch: async (m: BatchMessage) => {
      queued.push(m);
    },
    config: { syncWaitMs: 10, pollMs: 5 },
    batchLimits: { maxLines: o.maxLines ?? 50_000 },
  };
  const batching = batchContext({
    ...deps,
    schemas: requestSchemas(manifest),
    links: new LinkSigner('secret', 3600, Date.now),
    limits: deps.batchLimits,
    inFlight: o.inFlight ?? 64,
    ...(o.chunkBytes && { chunkBytes: o.chunkBytes }),
  });
  const app = createApp({ ...deps, batching });
  const worker = { advance: (id: string) => advanceBatch(batching, id) };
  /** Finishes every unfinished job as the last stage would. */
  const finishJobs = async () => {
    for (const id of await jobs.activeIds()) {
      const r = (await jobs.request(id))!;
      await jobs.claimOutcome(id, 'succeeded');
      await jobs.putOutput(id, 'decode', new Uint8Array([137, 80, 78, 71]), 'image/png');
      for (const st of r.stages) await jobs.append(id, 'done', st, { ms: 1, steps: 1 });
      await jobs.finished(r);
    }
  };
  const upload = async (text: string) => {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new File([text], 'in.jsonl', { type: 'application/jsonl' }));
    const r = await app.request('/v1/files', { method: 'POST', body: form });
    return { status: r.status, json: (await r.json()) as any };
  };
  const post = async (path: string, body: unknown) => {
    const r = await app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json()) as any };
  };
  const get = async (path: string) => (await app.request(path)).json() as Promise<any>;
  /** Uploads a batch input and creates its batch (both must succeed); the batch as created. */
  const batchOf = async (text: string) => {
    const f = await upload(text);
    assert.equal(f.status, 200, JSON.stringify(f.json));
    const created = await post('/v1/batches', {
      input_file_id: f.json.id,
      endpoint: '/v1/images/generations',
      completion_window: '24h',
    });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    return created.json;
  };
  return { jobs, app, worker, batching, queued, finishJobs, upload, post, get, batchOf };
}

const line = (id: string, body: unknown, url = '/v1/images/generations') =>
  JSON.stringify({ custom_id: id, method: 'POST', url, body });

test('files → batch → fan-out → finalize: counts, an output line per image, the bad line in the error file', async () => {
  const s = setup();
  const input = [
    line('a', { prompt: 'red circle', size: '64x64', seed: 1 }),
    line('b', { prompt: 'blue box top left', size: '64x64' }),
    '',
    line('bad', { prompt: 'green dot', size: '100x100' }),
    line('c', { prompt: 'yellow triangle', size: '64x64', response_format: 'b64_json' }),
  ].join('\n');
  const f = await s.upload(input);
  assert.equal(f.status, 200, JSON.stringify(f.json));
  assert.equal(f.json.object, 'file');
  assert.equal(f.json.purpose, 'batch');
  const created = await s.post('/v1/batches', {
    input_file_id: f.json.id,
    endpoint: '/v1/images/generations',
    completion_window: '24h',
    metadata: { project: 'catalogue' },
  });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  const b = created.json;
  assert.equal(b.status, 'validating');
  assert.deepEqual(b.request_counts, { total: 4, completed: 0, failed: 0 });
  assert.deepEqual(s.queued, [{ v: 1, batchId: b.id }]);
  assert.equal(await s.worker.advance(b.id), 'in_progress');
  assert.equal((await s.jobs.activeIds()).length, 3);
  const mid = await s.get(`/v1/batches/${b.id}`);
  assert.deepEqual(mid.request_counts, { total: 4, completed: 0, failed: 1 });
  await s.finishJobs();
  assert.equal(await s.worker.advance(b.id), 'completed');
  const done = await s.get(`/v1/batches/${b.id}`);
  assert.equal(done.status, 'completed');
  assert.deepEqual(done.request_counts, { total: 4, completed: 3, failed: 1 });
  assert.equal(done.usage.jobs, 3);
  assert.deepEqual(done.metadata, { project: 'catalogue' });
  for (const k of ['in_progress_at', 'finalizing_at', 'completed_at']) assert.ok(done[k] > 0, k);
  const out = (await (await s.app.request(`/v1/files/${done.output_file_id}/content`)).text())
    .trim()
    .split('\n');
  assert.equal(out.length, 3);
  const lines = out.map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.custom_id),
    ['a', 'b', 'c'],
  );
  assert.equal(lines[0].response.status_code, 200);
  assert.match(
    lines[0].response.body.data[0].url,
    /\/v1\/jobs\/job_[a-z2-7]{16}\/image\?expires=\d+&signature=/,
  );
  assert.equal(lines[0].response.body.data[0].revised_prompt.includes('red circle'), true);
  assert.equal(lines[2].response.body.data[0].b64_json, Buffer.from([137, 80, 78, 71]).toString('base64'));
  assert.equal(lines[0].error, null);
  const errors = (await (await s.app.request(`/v1/files/${done.error_file_id}/content`)).text())
    .trim()
    .split('\n');
  assert.equal(errors.length, 1);
  const e = JSON.parse(errors[0]!);
  assert.equal(e.custom_id, 'bad');
  assert.equal(e.response.status_code, 400);
  assert.equal(e.response.body.error.param, 'size');
  // Finalizing again changes nothing.
  assert.equal(await s.worker.advance(b.id), 'completed');
  const usage = await s.get('/v1/usage');
  assert.deepEqual(
    usage.batches.map((x: { id: string; jobs: number; lines: number }) => [x.id, x.jobs, x.lines]),
    [[b.id, 3, 4]],
  );
  const list = await s.get('/v1/batches?limit=5');
  assert.deepEqual(
    list.data.map((x: { id: string }) => x.id),
    [b.id],
  );
  const del = await s.app.request(`/v1/files/${f.json.id}`, { method: 'DELETE' });
  assert.deepEqual(await del.json(), { id: f.json.id, object: 'file', deleted: true });
  assert.equal((await s.app.request(`/v1/files/${f.json.id}`)).status, 404);
});

test('a file that is not JSONL, names another endpoint, or passes the limits is refused whole at POST /v1/batches', async () => {
  const s = setup({ maxLines: 3 });
  const create = async (text: string) => {
    const f = await s.upload(text);
    return s.post('/v1/batches', {
      input_file_id: f.json.id,
      endpoint: '/v1/images/generations',
      completion_window: '24h',
    });
  };
  const cases: [string, RegExp][] = [
    ['{"custom_id": "a"\nnot json', /not JSONL: line 1 is not JSON/],
    ['[1, 2]', /not a JSON object/],
    [line('a', { prompt: 'x' }, '/v1/chat/completions'), /names \/v1\/chat\/completions/],
    [[1, 2, 3, 4].map((i) => line(`l${i}`, { prompt: 'x' })).join('\n'), /4 lines; a batch holds at most 3/],
    ['\n\n', /no request line/],
  ];
  for (const [text, message] of cases) {
    const r = await create(text);
    assert.equal(r.status, 400, text);
    assert.equal(r.json.error.param, 'input_file_id');
    assert.match(r.json.error.message, message);
  }
  const other = await s.post('/v1/batches', {
    input_file_id: 'file-000000000000000000000000',
    endpoint: '/v1/embeddings',
    completion_window: '24h',
  });
  assert.equal(other.status, 400);
  assert.equal(other.json.error.param, 'endpoint');
  const window = await s.post('/v1/batches', {
    input_file_id: 'x',
    endpoint: '/v1/images/generations',
    completion_window: '1h',
  });
  assert.equal(window.json.error.param, 'completion_window');
  assert.equal(s.queued.length, 0);
});

test('the input is read in ranged chunks: lines across chunk edges, at most inFlight running per batch', async () => {
  const s = setup({ inFlight: 7, chunkBytes: 300 });
  const n = 40;
  const text = Array.from({ length: n }, (_, i) =>
    line(`l${i}`, { prompt: `red circle number ${'x'.repeat(i % 9)}`, size: '64x64' }),
  ).join('\r\n');
  const b = await s.batchOf(text);
  const seen = new Set<string>();
  for (let round = 0; round < 20; round++) {
    const status = await s.worker.advance(b.id);
    const active = await s.jobs.activeIds();
    assert.ok(active.length <= 7, `${active.length} in flight`);
    for (const id of active) seen.add(id);
    if (status === 'completed') break;
    await s.finishJobs();
  }
  const done = await s.get(`/v1/batches/${b.id}`);
  assert.equal(done.status, 'completed');
  assert.deepEqual(done.request_counts, { total: n, completed: n, failed: 0 });
  assert.equal(seen.size, n);
  const out = (await (await s.app.request(`/v1/files/${done.output_file_id}/content`)).text())
    .trim()
    .split('\n');
  assert.deepEqual(
    out.map((l) => JSON.parse(l).custom_id),
    Array.from({ length: n }, (_, i) => `l${i}`),
  );
});

test("a key's batch lines run at most inFlight at once across all its batches, and every line still runs", async () => {
  const s = setup({ inFlight: 3 });
  const text = (tag: string) =>
    Array.from({ length: 5 }, (_, i) => line(`${tag}${i}`, { prompt: 'red circle', size: '64x64' })).join(
      '\n',
    );
  const [b1, b2] = [await s.batchOf(text('a')), await s.batchOf(text('b'))];
  let peak = 0;
  for (let round = 0; round < 20; round++) {
    const statuses = [await s.worker.advance(b1.id), await s.worker.advance(b2.id)];
    peak = Math.max(peak, (await s.jobs.activeIds()).length);
    if (statuses.every((x) => x === 'completed')) break;
    await s.finishJobs();
  }
  assert.equal(peak, 3, 'the key’s three places, shared by its two batches');
  for (const b of [b1, b2]) {
    const done = await s.get(`/v1/batches/${b.id}`);
    assert.deepEqual(done.request_counts, { total: 5, completed: 5, failed: 0 });
  }
});

test('a batch whose input is deleted mid-run finishes: the lines not yet read fail, saying why', async () => {
  const s = setup({ inFlight: 2 });
  const text = [1, 2, 3, 4, 5].map((i) => line(`l${i}`, { prompt: 'red circle', size: '64x64' })).join('\n');
  const b = await s.batchOf(text);
  await s.worker.advance(b.id);
  await s.finishJobs();
  const input = await s.get(`/v1/batches/${b.id}`);
  await s.app.request(`/v1/files/${input.input_file_id}`, { method: 'DELETE' });
  let status: string | null = null;
  for (let round = 0; round < 5 && status !== 'completed'; round++) status = await s.worker.advance(b.id);
  assert.equal(status, 'completed');
  const done = await s.get(`/v1/batches/${b.id}`);
  assert.deepEqual(done.request_counts, { total: 5, completed: 2, failed: 3 });
  const errors = (await (await s.app.request(`/v1/files/${done.error_file_id}/content`)).text())
    .trim()
    .split('\n');
  assert.equal(errors.length, 3);
  assert.match(JSON.parse(errors[0]!).response.body.error.message, /deleted before this line ran/);
});

test('the sweep gives a batch whose next look was lost another look, leaves a batch looked at recently alone, and forgets an ended one', async () => {
  const s = setup();
  const b = await s.batchOf(line('a', { prompt: 'red circle', size: '64x64' }));
  s.queued.length = 0; // the look the API asked for is lost (a restart of the local queues)
  assert.deepEqual(await sweepBatches(s.batching, 0), [b.id]);
  assert.deepEqual(s.queued, [{ v: 1, batchId: b.id }]);
  await s.worker.advance(b.id);
  assert.deepEqual(await sweepBatches(s.batching, 60_000), [], 'looked at just now');
  await s.finishJobs();
  assert.equal(await s.worker.advance(b.id), 'completed');
  assert.deepEqual(await s.batching.batches.active(), []);
  assert.deepEqual(await sweepBatches(s.batching, 0), []);
});

test("a line's prompt warnings travel with its output line, as the images endpoint says them", async () => {
  const s = setup();
  const b = await s.batchOf(
    [
      line('dog', { prompt: 'a dog next to a red circle', size: '64x64' }),
      line('plain', { prompt: 'a red circle', size: '64x64' }),
    ].join('\n'),
  );
  await s.worker.advance(b.id);
  await s.finishJobs();
  assert.equal(await s.worker.advance(b.id), 'completed');
  const done = await s.get(`/v1/batches/${b.id}`);
  const out = (await (await s.app.request(`/v1/files/${done.output_file_id}/content`)).text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const [dog, plain] = out;
  assert.ok(
    dog.response.body.warnings.some((w: string) => /dog/.test(w)),
    JSON.stringify(dog.response.body),
  );
  assert.deepEqual(plain.response.body.warnings, []);
});

test('cancel: running lines are cancelled, lines never started are not run, the batch ends cancelled; its lines count neither completed nor failed and keep their custom_id', async () => {
  const s = setup({ inFlight: 2 });
  const text = [1, 2, 3, 4, 5].map((i) => line(`l${i}`, { prompt: 'red circle', size: '64x64' })).join('\n');
  const f = await s.upload(text);
  const b = (
    await s.post('/v1/batches', {
      input_file_id: f.json.id,
      endpoint: '/v1/images/generations',
      completion_window: '24h',
    })
  ).json;
  await s.worker.advance(b.id);
  assert.equal((await s.jobs.activeIds()).length, 2);
  const c = await s.post(`/v1/batches/${b.id}/cancel`, {});
  assert.equal(c.json.status, 'cancelling');
  assert.equal(await s.worker.advance(b.id), 'cancelled');
  const done = await s.get(`/v1/batches/${b.id}`);
  // As OpenAI counts them: lines cancelled, or never run, are neither completed nor failed.
  assert.deepEqual(done.request_counts, { total: 5, completed: 0, failed: 0 });
  assert.ok(done.cancelled_at > 0);
  assert.equal((await s.jobs.activeIds()).length, 0);
  const errors = (await (await s.app.request(`/v1/files/${done.error_file_id}/content`)).text())
    .trim()
    .split('\n');
  assert.equal(errors.length, 5);
  // Every line is there with its custom_id, the ones never read included.
  assert.deepEqual(
    errors.map((l) => JSON.parse(l).custom_id),
    ['l1', 'l2', 'l3', 'l4', 'l5'],
  );
  assert.ok(errors.every((l) => JSON.parse(l).response.body.error.code === 'batch_cancelled'));
  // Only the two lines that were fanned out ever became jobs.
  const states = await Promise.all(errors.map((l) => JSON.parse(l).response.request_id));
  assert.equal(states.filter((id: string) => id.startsWith('job_')).length, 2);
});

test('a 1,001-line batch completes: its line outcomes are read page after page', async () => {
  const s = setup({ inFlight: 2000 });
  const n = 1001;
  const input = Array.from({ length: n }, (_, i) =>
    line(`l${i}`, { prompt: 'red circle', size: '64x64', seed: i }),
  );
  const b = await s.batchOf(input.join('\n'));
  let status = await s.worker.advance(b.id);
  for (let round = 0; status !== 'completed' && round < 10; round++) {
    await s.finishJobs();
    status = await s.worker.advance(b.id);
  }
  assert.equal(status, 'completed');
  const done = await s.get(`/v1/batches/${b.id}`);
  assert.deepEqual(done.request_counts, { total: n, completed: n, failed: 0 });
  const out = (await (await s.app.request(`/v1/files/${done.output_file_id}/content`)).text())
    .trim()
    .split('\n');
  assert.equal(out.length, n);
  assert.equal(new Set(out.map((l) => JSON.parse(l).custom_id)).size, n);
});
