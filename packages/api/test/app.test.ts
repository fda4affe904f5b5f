/**
 * The API through app.request, as Hono's own tests do: no server, the in-memory store, and the
 * stage messages collected as they are sent (no workers: jobs stay queued).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { MemoryBlobStore } from '@baton/aws';
import { JobStore, type StageMessage } from '@baton/jobs';
import { DEFAULT_MODEL_DIR } from '@baton/pipeline';
import { loadManifest } from '@baton/runtime';
import { shapesExpander } from '@baton/service';
import { createApp } from '../src/index.ts';

let app: ReturnType<typeof createApp>;
let jobs: JobStore;
const sent: StageMessage[] = [];

before(async () => {
  jobs = new JobStore(new MemoryBlobStore());
  const manifest = await loadManifest(process.env.BATON_MODEL_DIR ?? DEFAULT_MODEL_DIR);
  app = createApp({
    jobs,
    manifest,
    expander: shapesExpander,
    enqueue: async (m) => {
      sent.push(m);
    },
    config: { syncWaitMs: 300, pollMs: 50 },
  });
});

const post = (path: string, body: unknown) =>
  app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

test('POST /v1/jobs accepts, expands the prompt, stores the request and enqueues the base stage', async () => {
  const r = await post('/v1/jobs', { prompt: 'big blue box top right on white', seed: 4, size: '256x256' });
  assert.equal(r.status, 202);
  const j = (await r.json()) as Record<string, any>;
  assert.match(j.id, /^job_/);
  assert.equal(j.status, 'queued');
  assert.equal(j.revised_prompt, 'a large blue square in the top right corner, on a white background');
  assert.deepEqual(
    j.stages.map((s: { name: string }) => s.name),
    ['base', 'relay1', 'relay2', 'decode'],
  );
  const stored = (await jobs.request(j.id))!;
  assert.deepEqual(sent.at(-1), {
    v: 1,
    jobId: j.id,
    stage: 'base',
    correlationId: stored.correlationId,
    tenant: 'local',
    request: stored,
  });
  const g = await app.request(`/v1/jobs/${j.id}`);
  assert.equal(((await g.json()) as { status: string }).status, 'queued');
});

test('expand: false keeps the prompt verbatim', async () => {
  const r = await post('/v1/jobs', { prompt: '  red circle ', seed: 1, expand: false });
  assert.equal(((await r.json()) as { revised_prompt: string }).revised_prompt, 'red circle');
});

test('bad input → 400 in OpenAI error shape naming the field', async () => {
  const cases: [string, unknown, string][] = [
    ['/v1/jobs', '{"prompt":', 'body'],
    ['/v1/jobs', [1, 2], 'body'],
    ['/v1/jobs', {}, 'prompt'],
    ['/v1/jobs', { prompt: 42 }, 'prompt'],
    ['/v1/jobs', { prompt: '   ' }, 'prompt'],
    ['/v1/jobs', { prompt: 'x'.repeat(5000) }, 'prompt'],
    ['/v1/jobs', { prompt: 'a', size: '100x100' }, 'size'],
    ['/v1/jobs', { prompt: 'a', size: '128x64' }, 'size'],
    ['/v1/jobs', { prompt: 'a', seed: -1 }, 'seed'],
    ['/v1/jobs', { prompt: 'a', seed: 1.5 }, 'seed'],
    ['/v1/jobs', { prompt: 'a', variant: 'turbo' }, 'variant'],
    ['/v1/jobs', { prompt: 'a', steps_base: 0 }, 'steps_base'],
    ['/v1/jobs', { prompt: 'a', steps_relay: 1000 }, 'steps_relay'],
    ['/v1/jobs', { prompt: 'a', guidance: -1 }, 'guidance'],
    ['/v1/jobs', { prompt: 'a', expand: 'yes' }, 'expand'],
    ['/v1/images/generations', { prompt: 'a', n: 0 }, 'n'],
    ['/v1/images/generations', { prompt: 'a', n: 99 }, 'n'],
    ['/v1/images/generations', { prompt: 'a', response_format: 'jpeg' }, 'response_format'],
    ['/v1/images/generations', { prompt: 'a', model: 'midjourney-v6' }, 'model'],
    ['/v1/images/generations', { prompt: 'a', size: '1024x1024' }, 'size'],
  ];
  for (const [path, body, field] of cases) {
    const r = await post(path, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status}`);
    const e = (await r.json()) as { error: { param: string; type: string; message: string } };
    assert.equal(e.error.param, field, `${JSON.stringify(body)}: ${e.error.message}`);
    assert.equal(e.error.type, 'invalid_request_error');
  }
});

test('unknown jobs and routes → 404; image links must be signed and unexpired', async () => {
  assert.equal((await app.request('/v1/jobs/job_aaaaaaaaaaaaaaaa')).status, 404);
  assert.equal((await app.request('/v1/jobs/../../etc/passwd')).status, 404);
  assert.equal((await app.request('/v1/nothing')).status, 404);
  const r = await post('/v1/jobs', { prompt: 'red circle', seed: 2 });
  const id = ((await r.json()) as { id: string }).id;
  assert.equal((await app.request(`/v1/jobs/${id}/image`)).status, 404);
  assert.equal((await app.request(`/v1/jobs/${id}/image?expires=99999999999&signature=forged`)).status, 404);
});

test('POST /v1/images/generations answers 202 with the job ids when the wait runs out', async () => {
  const r = await post('/v1/images/generations', { prompt: 'green dot', n: 2, seed: 7 });
  assert.equal(r.status, 202);
  const b = (await r.json()) as { job_ids: string[] };
  assert.equal(b.job_ids.length, 2);
  const seeds = await Promise.all(b.job_ids.map(async (id) => (await jobs.request(id))!.spec.seed));
  assert.deepEqual(seeds, [7, 8]);
});

test('cancel marks a queued job canceled; cancelling again is harmless', async () => {
  const r = await post('/v1/jobs', { prompt: 'red circle', seed: 3 });
  const id = ((await r.json()) as { id: string }).id;
  const c = await post(`/v1/jobs/${id}/cancel`, {});
  assert.equal(((await c.json()) as { status: string }).status, 'canceled');
  const again = await post(`/v1/jobs/${id}/cancel`, {});
  assert.equal(((await again.json()) as { status: string }).status, 'canceled');
});

test('server-sent events end with the terminal state', async () => {
  const r = await post('/v1/jobs', { prompt: 'red circle', seed: 3 });
  const id = ((await r.json()) as { id: string }).id;
  const ev = await app.request(`/v1/jobs/${id}/events`);
  assert.equal(ev.headers.get('content-type'), 'text/event-stream');
  // Cancel once the first event has arrived (a condition, not a timer), then read to the end.
  const reader = ev.body!.getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value);
  await post(`/v1/jobs/${id}/cancel`, {});
  for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value);
  assert.match(text, /event: progress/);
  assert.match(text, /event: canceled\ndata: \{.*"status":"canceled"/);
});

test('the OpenAPI document lists every route', async () => {
  const doc = (await (await app.request('/openapi.json')).json()) as {
    openapi: string;
    paths: Record<string, unknown>;
  };
  assert.equal(doc.openapi, '3.1.0');
  for (const p of [
    '/v1/images/generations',
    '/v1/jobs',
    '/v1/jobs/{id}',
    '/v1/jobs/{id}/events',
    '/v1/jobs/{id}/cancel',
    '/v1/jobs/{id}/image',
  ]) {
    assert.ok(doc.paths[p], p);
  }
});

test('past the backlog bound new work is refused at once (by the depth last read, off the request path): 503 overloaded with a Retry-After that grows with the backlog; reads still answer', async () => {
  let backlog = 0;
  let reads = 0;
  let t = Date.now();
  const shedding = createApp({
    jobs: new JobStore(new MemoryBlobStore()),
    manifest: await loadManifest(process.env.BATON_MODEL_DIR ?? DEFAULT_MODEL_DIR),
    expander: shapesExpander,
    enqueue: async () => {},
    limits: { maxBacklog: 100 },
    backlog: async () => {
      reads++;
      return backlog;
    },
    now: () => t,
  });
  const submit = () =>
    shedding.request('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'red circle', size: '64x64' }),
    });
  assert.equal((await submit()).status, 202);
  // A request is judged by the last depth known: the one that reads the new depth still passes
  // on the old one, the next is refused.
  t += 1000;
  backlog = 150;
  assert.equal((await submit()).status, 202);
  const busy = await submit();
  assert.equal(busy.status, 503);
  const body = (await busy.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'overloaded');
  assert.match(body.error.message, /150 stage messages are waiting/);
  const small = Number(busy.headers.get('retry-after'));
  t += 1000;
  backlog = 1000;
  await submit();
  const later = Number((await submit()).headers.get('retry-after'));
  assert.ok(small >= 1 && later > small, `Retry-After ${small} s at 150, ${later} s at 1000`);
  // The backlog is read at most once a second, whatever the request rate.
  const before = reads;
  await Promise.all([submit(), submit(), submit()]);
  assert.equal(reads, before);
  assert.equal((await shedding.request('/v1/jobs')).status, 200, 'reads are never shed');
});

test('continue: a job that has not succeeded is 400 job_not_succeeded; an unknown job 404; expired latents 409 latents_expired', async () => {
  const r = await post('/v1/jobs', { prompt: 'red circle', seed: 3, size: '64x64' });
  const id = ((await r.json()) as { id: string }).id;
  const queued = await post(`/v1/jobs/${id}/continue`, { size: '128x128' });
  assert.equal(queued.status, 400);
  assert.deepEqual(
    ((await queued.json()) as { error: { code: string; param: string } }).error.code,
    'job_not_succeeded',
  );
  assert.equal((await post('/v1/jobs/job_zzzzzzzzzzzzzzzz/continue', { size: '128x128' })).status, 404);
  // Succeeded, but its base latents are gone (expired from the store).
  const request = (await jobs.request(id))!;
  for (const stage of request.stages) await jobs.append(id, 'done', stage, { ms: 1, steps: 1, batch: 1 });
  assert.equal((await jobs.state(id))?.status, 'succeeded');
  const expired = await post(`/v1/jobs/${id}/continue`, { size: '128x128' });
  assert.equal(expired.status, 409);
  const body = (await expired.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'latents_expired');
  assert.match(body.error.message, /kept for a day/);
  // With its latents there it is accepted; 'auto' or a missing size names the field.
  await jobs.putOutput(id, 'base', new Uint8Array([1]), 'application/octet-stream');
  const ok = await post(`/v1/jobs/${id}/continue`, { size: '128x128' });
  assert.equal(ok.status, 202);
  assert.equal(((await ok.json()) as { continued_from: string }).continued_from, id);
  for (const size of ['auto', undefined]) {
    const bad = await post(`/v1/jobs/${id}/continue`, { size });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { param: string } }).error.param, 'size');
  }
});

test("OpenAI's image model names (gpt-image-1, dall-e-3) mean the model served here: ported code runs unchanged", async () => {
  for (const model of ['gpt-image-1', 'dall-e-3']) {
    const r = await post('/v1/images/generations', { prompt: 'red circle', model, seed: 1 });
    assert.ok(r.status === 200 || r.status === 202, `${model} → ${r.status}`);
  }
});

test('Prefer: wait=N holds GET /v1/jobs/{id} and POST /v1/jobs until the job ends (at most the synchronous wait); without it they answer at once', async () => {
  const r = await post('/v1/jobs', { prompt: 'red circle', seed: 7 });
  const j = (await r.json()) as { id: string; stages: { name: string }[] };
  assert.equal(r.headers.get('preference-applied'), null);
  // The waiter's first look, seen: then the job ends, and the held answer must show it.
  const look = jobs.look.bind(jobs);
  let looked!: () => void;
  const firstLook = new Promise<void>((res) => {
    looked = res;
  });
  jobs.look = async (...a) => {
    const x = await look(...a);
    looked();
    return x;
  };
  try {
    const held = app.request(`/v1/jobs/${j.id}`, { headers: { prefer: 'wait=5' } });
    await Promise.race([firstLook, held]);
    for (const st of j.stages) await jobs.append(j.id, 'done', st.name);
    const g = await held;
    assert.equal(g.headers.get('preference-applied'), 'wait=1', 'bounded by the 0.3 s synchronous wait');
    assert.equal(((await g.json()) as { status: string }).status, 'succeeded');
  } finally {
    jobs.look = look;
  }
  // A job that does not end: the answer comes when the wait runs out, still queued.
  const p = await app.request('/v1/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json', prefer: 'respond-async, wait=5' },
    body: JSON.stringify({ prompt: 'blue square', seed: 8 }),
  });
  assert.equal(p.status, 202);
  assert.equal(p.headers.get('preference-applied'), 'wait=1');
  assert.equal(((await p.json()) as { status: string }).status, 'queued');
  // A preference that cannot be read is ignored (RFC 7240).
  const x = await app.request(`/v1/jobs/${j.id}`, { headers: { prefer: 'wait=soon' } });
  assert.equal(x.headers.get('preference-applied'), null);
});

test('a waiter learns how long jobs of a kind take: once three have ended, it reads a new one only every poll interval before 90 % of that', async () => {
  const store = new JobStore(new MemoryBlobStore());
  const manifest = await loadManifest(process.env.BATON_MODEL_DIR ?? DEFAULT_MODEL_DIR);
  const WORK_MS = 120; // a stand-in worker: each job ends this long after its base message
  const waiter = createApp({
    jobs: store,
    manifest,
    expander: shapesExpander,
    enqueue: async (m) => {
      const r = (await store.request(m.jobId))!;
      setTimeout(() => void Promise.all(r.stages.map((st) => store.append(r.id, 'done', st))), WORK_MS);
    },
    config: { syncWaitMs: 5_000, pollMs: 50 },
  });
  const looks: number[][] = [];
  const look = store.look.bind(store);
  store.look = async (r, ...rest) => {
    looks.at(-1)!.push(Date.now() - r.createdAt);
    return look(r, ...rest);
  };
  for (let i = 0; i < 4; i++) {
    looks.push([]);
    const res = await waiter.request('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'wait=5' },
      body: JSON.stringify({ prompt: 'red circle', seed: 20 + i }),
    });
    assert.equal(((await res.json()) as { status: string }).status, 'succeeded');
  }
  const early = (xs: number[]) => xs.filter((ms) => ms < 0.9 * WORK_MS);
  // No forecast yet: read at once, then every 10 ms while young (a tenth of its age).
  assert.ok(early(looks[0]!).length >= 5, `the first job's early reads: ${looks[0]}`);
  // Forecast: nothing before the poll interval (50 ms here), then at most every 50 ms until 108 ms.
  assert.ok(looks[3]![0]! >= 45, `the fourth is first read at ${looks[3]![0]} ms`);
  assert.ok(early(looks[3]!).length <= 2, `the fourth's early reads: ${looks[3]}`);
  assert.ok(
    looks[3]!.length < looks[0]!.length,
    `fewer reads: ${looks[3]!.length} against ${looks[0]!.length}`,
  );
});
