/**
 * The whole system on real local S3 and SQS servers with real worker processes:
 * a job through every stage, a duplicated message, a worker killed mid-stage, a
 * cancelled job, poison messages, and the dead-letter path.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SqsQueue } from '@baton/aws';
import { openCascade } from '@baton/domains/cascade';
import { JobStore, keys, newJobId } from '@baton/jobs';
import { generateBatch, planJob } from '@baton/pipeline';
import { readLatents, writeLatents } from '@baton/safetensors';
import { decodePng } from '@baton/shapes';
import type { Stack } from '@baton/stack';
import { connectWorker, StageWorker, silent } from '@baton/worker';
import { auth, cancelMidStage, drained, getJob, post, stack, until } from './helpers.ts';

let s: Stack;
before(async () => {
  // Event streams end every 3 s (as a function's deadline would end them) and are resumed.
  s = await stack({ visibilityTimeoutSeconds: 4, maxReceiveCount: 3, streamMaxSeconds: 3 });
});
after(async () => {
  await s?.close();
});

const done = (id: string, timeout = 90_000) =>
  until(
    async () => {
      const j = await getJob(s.apiUrl, id);
      return ['succeeded', 'failed', 'canceled'].includes(j.status) ? j : null;
    },
    timeout,
    `job ${id}`,
  );

test('a 256 px job runs base → relay1 → relay2 → decode and matches an in-process run byte for byte', async () => {
  const r = await post(`${s.apiUrl}/v1/jobs`, {
    prompt: 'red circle top left on white',
    size: '256x256',
    seed: 11,
  });
  assert.equal(r.status, 202);
  assert.equal(r.body.status, 'queued');
  assert.deepEqual(
    r.body.stages.map((x: { name: string }) => x.name),
    ['base', 'relay1', 'relay2', 'decode'],
  );
  const j = await done(r.body.id);
  assert.equal(j.status, 'succeeded', JSON.stringify(j.error));
  for (const st of j.stages) assert.equal(st.status, 'done');
  assert.ok(j.timings_ms.base > 0 && j.timings_ms.relay2 > 0);
  const png = new Uint8Array(await (await fetch(j.result.image_url)).arrayBuffer());
  const img = decodePng(png);
  assert.equal(img.width, 256);
  // Same seed, same bytes: the in-process cascade gives the identical PNG.
  const cascade = await openCascade();
  const [local] = await generateBatch(cascade, [
    planJob(cascade, 'red circle top left on white', { seed: 11, size: 256 }),
  ]);
  assert.equal(local!.spec.caption, j.revised_prompt);
  assert.deepEqual(new Uint8Array(local!.encoded), png);
});

test('a duplicated message does not compute twice and leaves the image unchanged', async () => {
  const { jobs, queues } = connectWorker(s.config);
  const r = await post(`${s.apiUrl}/v1/jobs`, { prompt: 'blue square', size: '128x128', seed: 5 });
  const id = r.body.id as string;
  // The same base message, delivered again while the first is in flight.
  await queues.base.send({ v: 1, jobId: id, stage: 'base', correlationId: 'dup' });
  const j = await done(id);
  assert.equal(j.status, 'succeeded');
  const before = await jobs.store.get(keys.output(id, 'decode'));
  // And once more after the job finished: every stage again.
  for (const stage of ['base', 'relay1', 'decode'] as const) {
    await queues[stage === 'relay1' ? 'relay' : stage].send({ v: 1, jobId: id, stage, correlationId: 'dup' });
  }
  await drained(s.config);
  const records = await jobs.records(id);
  for (const stage of ['base', 'relay1', 'decode']) {
    const computed = records.filter((x) => x.kind === 'done' && x.stage === stage);
    assert.equal(computed.length, 1, `${stage} computed ${computed.length} times`);
  }
  assert.deepEqual(await jobs.store.get(keys.output(id, 'decode')), before);
});

test('a worker killed mid-stage: the message comes back and the job completes', async () => {
  const r = await post(`${s.apiUrl}/v1/jobs`, {
    prompt: 'green triangle',
    size: '128x128',
    seed: 9,
    steps_base: 200,
  });
  const id = r.body.id as string;
  await until(
    async () => {
      const j = await getJob(s.apiUrl, id);
      return j.progress?.stage === 'base' && j.progress.step >= 2;
    },
    60_000,
    'base progress',
  );
  const victim = s.workers.get('base')!;
  victim.kill('SIGKILL');
  const j = await done(id, 120_000);
  assert.equal(j.status, 'succeeded', JSON.stringify(j.error));
  assert.notEqual(s.workers.get('base'), victim, 'the stack restarted the worker');
});

test('a cancelled job stops at a step boundary and produces no image', async () => {
  // 200 steps in every stage, and the cancel lands while a relay stage is held part-way.
  const submit = async () =>
    (
      await post(`${s.apiUrl}/v1/jobs`, {
        prompt: 'purple dot',
        size: '256x256',
        seed: 3,
        steps_base: 200,
        steps_relay: 200,
      })
    ).body.id as string;
  const { id, cancel: c, stopped, jobs } = await cancelMidStage(s, submit);
  assert.equal(c.status, 200);
  assert.equal(c.body.status, 'canceled');
  // The running stage noticed at a step and recorded where it stopped (its usage).
  assert.ok(stopped.steps < 200, `stopped at step ${stopped.steps}`);
  const j = await getJob(s.apiUrl, id);
  assert.equal(j.status, 'canceled');
  assert.equal(await jobs.store.exists(keys.output(id, stopped.stage)), false, `${stopped.stage} stopped`);
  assert.equal(await jobs.store.exists(keys.output(id, 'decode')), false);
  const later = j.stages.slice(j.stages.findIndex((x: { name: string }) => x.name === stopped.stage) + 1);
  for (const st of later) assert.equal(st.status, 'pending', `${st.name} never started`);
});

test('poison messages: garbage and an unknown job are dropped (the queues drain, no job appears); corrupt latents fail their job once, with the reason; the workers stay healthy', async () => {
  const { jobs, queues } = connectWorker(s.config);
  await queues.base.send('not json at all');
  await queues.relay.send({ v: 1, jobId: 'job_aaaaaaaaaaaaaaaa', stage: 'relay1', correlationId: 'x' });
  await drained(s.config);
  assert.equal(await jobs.request('job_aaaaaaaaaaaaaaaa'), null, 'a message makes no job');
  // A real job whose base output is replaced by a corrupt file before the relay reads it.
  const r = await post(`${s.apiUrl}/v1/jobs`, {
    prompt: 'white box',
    size: '128x128',
    seed: 1,
    expand: true,
  });
  const id = r.body.id as string;
  await until(() => jobs.store.exists(keys.output(id, 'base')), 60_000, 'base output');
  const fresh = await post(`${s.apiUrl}/v1/jobs`, { prompt: 'black circle', size: '128x128', seed: 2 });
  const fid = fresh.body.id as string;
  await until(async () => (await getJob(s.apiUrl, fid)).status === 'succeeded', 60_000, 'second job');
  // A job like the second whose base left corrupt latents (another model's) and whose relay
  // message does not carry them: the relay reads them, and the job fails.
  const good = await jobs.store.get(keys.output(fid, 'base'));
  const l = readLatents(good!);
  const poisoned = { ...(await jobs.request(fid))!, id: newJobId(), createdAt: Date.now() };
  await jobs.create(poisoned, async () => {});
  await jobs.store.put(
    keys.output(poisoned.id, 'base'),
    writeLatents({ ...l, meta: { ...l.meta, model: 'some-other-model' } }),
  );
  await queues.relay.send({ v: 1, jobId: poisoned.id, stage: 'relay1', correlationId: 'poison' });
  const failed = await until(
    async () => (await jobs.records(poisoned.id)).find((x) => x.kind === 'failed'),
    30_000,
    'failed record',
  );
  assert.equal(failed.code, 'model_mismatch');
  assert.match(failed.reason!, /some-other-model/);
  // Failed at once, not retried: once the queues drain, the job has that one failure.
  await drained(s.config);
  assert.equal((await jobs.records(poisoned.id)).filter((x) => x.kind === 'failed').length, 1);
  // The workers are still healthy: a normal job still completes.
  const ok = await done(
    (await post(`${s.apiUrl}/v1/jobs`, { prompt: 'orange circle', size: '64x64', seed: 4 })).body.id,
  );
  assert.equal(ok.status, 'succeeded');
});

test('a stage that keeps failing goes to the dead-letter queue and the job says so', async () => {
  // A second stack without workers; this test's own worker fails every attempt (a bug, not bad input).
  const t = await stack({ workers: false, visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
  try {
    const { jobs, enqueue, queues } = connectWorker(t.config);
    const worker = new StageWorker({
      jobs: new JobStore(jobs.store, jobs.table),
      enqueue,
      log: silent,
      cascade: async () => {
        throw new Error('simulated bug');
      },
    });
    const r = await post(`${t.apiUrl}/v1/jobs`, { prompt: 'red circle', size: '64x64', seed: 1 });
    const id = r.body.id as string;
    const q = new SqsQueue(t.config, t.config.queues.base);
    const j = await until(
      async () => {
        for (const m of await q.receive(10, 0, 1)) {
          const res = await worker.handle([{ id: m.id, body: m.body }]);
          assert.deepEqual(res.retry, [m.id]);
        }
        const state = await getJob(t.apiUrl, id);
        return state.status === 'failed' ? state : null;
      },
      60_000,
      'dead letter',
    );
    assert.equal(j.error.code, 'dead_letter');
    assert.match(j.error.reason, /gave up after 2 deliveries/);
    void queues;
  } finally {
    await t.close();
  }
});

test('a request Node refuses before the app (a 20 KB URL) still answers JSON in OpenAI’s error shape', async () => {
  const r = await fetch(`${s.apiUrl}/v1/jobs?${'x'.repeat(20_000)}`);
  assert.equal(r.status, 431);
  const e = (await r.json()) as { error: { type: string; code: string } };
  assert.equal(e.error.type, 'invalid_request_error');
  assert.equal(e.error.code, 'request_header_fields_too_large');
});

/** One server-sent events connection read to its end: its events (and `retry:` hints) in order. */
async function connection(url: string, lastId?: string) {
  const r = await fetch(url, { headers: { ...auth, ...(lastId && { 'last-event-id': lastId }) } });
  if (r.status === 204) return null;
  assert.equal(r.status, 200);
  return (await r.text())
    .split('\n\n')
    .map((block) =>
      Object.fromEntries(
        block.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
      ),
    )
    .filter((e) => e.event || e.retry) as { event?: string; id?: string; data?: string; retry?: string }[];
}

test('a client following a long job through streams that end every 3 s, resuming with Last-Event-ID, gets every event once, in order, ending with succeeded', async () => {
  // 256 px at 200 steps a stage (about 6 s here): long enough to span connections of 3 s.
  const r = await post(`${s.apiUrl}/v1/jobs`, {
    prompt: 'red circle',
    seed: 5,
    size: '256x256',
    steps_base: 200,
    steps_relay: 200,
  });
  assert.equal(r.status, 202);
  const events: { event?: string; id?: string; data?: string }[] = [];
  let lastId: string | undefined;
  let connections = 0;
  for (;;) {
    const seen = await connection(`${s.apiUrl}/v1/jobs/${r.body.id}/events`, lastId);
    if (!seen) break; // 204: the end was already seen
    connections++;
    for (const e of seen.filter((x) => x.event)) {
      events.push(e);
      lastId = e.id;
    }
    if (events.at(-1)?.event === 'succeeded') break;
    assert.equal(seen.at(-1)?.retry, '250', 'a stream cut at its deadline says when to come back');
  }
  assert.ok(connections >= 2, `${connections} connections: resumed at least once`);
  assert.equal(events.at(-1)?.event, 'succeeded');
  const ids = events.map((e) => e.id!);
  assert.equal(new Set(ids).size, ids.length, `each event once: ${ids.join(' ')}`);
  const place = (id: string) => id.split('.').map(Number);
  for (let i = 1; i < ids.length; i++) {
    const [a, b] = [place(ids[i - 1]!), place(ids[i]!)];
    const k = a.findIndex((x, j) => x !== b[j]);
    assert.ok(k >= 0 && b[k]! > a[k]!, `in order: ${ids[i - 1]} then ${ids[i]}`);
  }
  // The stages went by in order: each stage's events come after the one before it finished. The
  // 200-step stages are each seen running; the decode (tens of ms, right after relay2 in the
  // same worker) may come and go between two looks.
  const stages = [...new Set(events.map((e) => JSON.parse(e.data!).stage as string | null).filter(Boolean))];
  assert.deepEqual(
    stages.filter((x) => x !== 'decode'),
    ['base', 'relay1', 'relay2'],
  );
  assert.ok(!stages.includes('decode') || stages.at(-1) === 'decode', `in order: ${stages.join(' ')}`);
});

test('continue: a 64 px draft finished at 256 px runs only relay1, relay2 and decode, bills only them, and gives the bytes a direct 256 px job gives', async () => {
  const draft = await done(
    (
      await post(`${s.apiUrl}/v1/jobs`, {
        prompt: 'blue square bottom right on white',
        size: '64x64',
        seed: 21,
      })
    ).body.id,
  );
  assert.equal(draft.status, 'succeeded');
  const c = await post(`${s.apiUrl}/v1/jobs/${draft.id}/continue`, { size: '256x256' });
  assert.equal(c.status, 202, JSON.stringify(c.body));
  assert.equal(c.body.continued_from, draft.id);
  assert.deepEqual(
    c.body.stages.map((x: { name: string }) => x.name),
    ['relay1', 'relay2', 'decode'],
  );
  const finished = await done(c.body.id);
  assert.equal(finished.status, 'succeeded', JSON.stringify(finished.error));
  const direct = await done(
    (
      await post(`${s.apiUrl}/v1/jobs`, {
        prompt: 'blue square bottom right on white',
        size: '256x256',
        seed: 21,
      })
    ).body.id,
  );
  const bytes = async (j: Record<string, any>) =>
    new Uint8Array(await (await fetch(j.result.image_url)).arrayBuffer());
  assert.deepEqual(await bytes(finished), await bytes(direct));
  // Billed: the new stages only (the direct job also paid for base).
  assert.ok(finished.usage.steps > 0 && finished.usage.steps < direct.usage.steps);
  assert.equal(Object.keys(finished.timings_ms).sort().join(), 'decode,relay1,relay2');
  // Not larger, or a job that did not succeed: 400 naming the field. Unknown or another key's: 404.
  const same = await post(`${s.apiUrl}/v1/jobs/${draft.id}/continue`, { size: '64x64' });
  assert.equal(same.status, 400);
  assert.equal(same.body.error.param, 'size');
  const other = 'bk_other_tenant_0123456789';
  await s.keys.create('other-tenant', other);
  const foreign = await post(
    `${s.apiUrl}/v1/jobs/${draft.id}/continue`,
    { size: '256x256' },
    { authorization: `Bearer ${other}` },
  );
  assert.equal(foreign.status, 404);
});

test('output formats: jpeg and webp as OpenAI names them, in b64_json, in links and in the job image; compression with png is a 400', async () => {
  const gen = (body: Record<string, unknown>) =>
    post(`${s.apiUrl}/v1/images/generations`, {
      prompt: 'red circle top left on white',
      size: '64x64',
      seed: 3,
      ...body,
    });
  const jpeg = await gen({ output_format: 'jpeg', output_compression: 60, response_format: 'b64_json' });
  assert.equal(jpeg.status, 200, JSON.stringify(jpeg.body));
  assert.equal(jpeg.body.output_format, 'jpeg');
  const jpegBytes = Buffer.from(jpeg.body.data[0].b64_json, 'base64');
  assert.deepEqual([...jpegBytes.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  const webp = await gen({ output_format: 'webp', response_format: 'url' });
  assert.equal(webp.status, 200);
  const link = await fetch(webp.body.data[0].url);
  assert.equal(link.headers.get('content-type'), 'image/webp');
  const webpBytes = Buffer.from(await link.arrayBuffer());
  assert.equal(webpBytes.subarray(0, 4).toString(), 'RIFF');
  assert.equal(webpBytes.subarray(8, 12).toString(), 'WEBP');
  // The default stays PNG; a bad format or a compression for PNG names the field.
  const png = await gen({ response_format: 'b64_json' });
  assert.equal(Buffer.from(png.body.data[0].b64_json, 'base64').subarray(1, 4).toString(), 'PNG');
  const bad = await gen({ output_compression: 50 });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.param, 'output_compression');
  assert.equal((await gen({ output_format: 'gif' })).body.error.param, 'output_format');
  const wrong = await fetch(`${webp.body.data[0].url.replace('format=webp', 'format=bmp')}`);
  assert.equal(wrong.status, 400);
  assert.equal(((await wrong.json()) as { error: { param: string } }).error.param, 'format');
});

test('upscale: a JPEG of your own, 200 × 150, becomes a 256 px image through relay2 and the decode alone; bad files and sizes name the field', async () => {
  const { encodePng } = await import('@baton/pipeline/image');
  const { convertPng } = await import('@baton/pipeline/formats');
  // A red disc on white, 200 × 150, sent as JPEG.
  const [w, h] = [200, 150];
  const data = new Uint8Array(w * h * 3).fill(255);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if ((x - 100) ** 2 + (y - 75) ** 2 < 40 ** 2) data.set([220, 30, 30], 3 * (y * w + x));
  const jpeg = Buffer.from(await convertPng(encodePng({ width: w, height: h, data }), 'jpeg', 90));
  const upscale = async (fields: Record<string, string | Blob>) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    const r = await fetch(`${s.apiUrl}/v1/images/upscale`, { method: 'POST', headers: auth, body: form });
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };
  const ok = await upscale({
    image: new Blob([jpeg], { type: 'image/jpeg' }),
    prompt: 'a big red circle in the center on white',
    size: '256x256',
    response_format: 'url',
    seed: '4',
  });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const id = new URL(ok.body.data[0].url).pathname.split('/')[3]!;
  const job = await getJob(s.apiUrl, id);
  assert.deepEqual(
    job.stages.map((x: { name: string }) => x.name),
    ['relay2', 'decode'],
  );
  const png = decodePng(new Uint8Array(await (await fetch(ok.body.data[0].url)).arrayBuffer()));
  assert.equal(png.width, 256);
  // The centre stays red, a corner white: the relay kept the picture it was given.
  const at = (x: number, y: number) => [...png.data.subarray(3 * (y * 256 + x), 3 * (y * 256 + x) + 3)];
  const [r, g] = at(128, 128);
  assert.ok(r! > 150 && g! < 100, `centre ${at(128, 128)}`);
  assert.ok(
    at(5, 5).every((v) => v > 180),
    `corner ${at(5, 5)}`,
  );
  const notImage = await upscale({ image: new Blob([Buffer.from('hello')]), size: '256x256' });
  assert.equal(notImage.status, 400);
  assert.equal(notImage.body.error.param, 'image');
  const tooSmall = await upscale({ image: new Blob([jpeg]), size: '64x64' });
  assert.equal(tooSmall.status, 400);
  assert.equal(tooSmall.body.error.param, 'size');
});

test('best_of 3: one job draws its candidates together and keeps the best, the same through the images endpoint, /v1/jobs and a continuation; every candidate billed', async () => {
  const prompt = 'a small green triangle top left and a big blue circle bottom right on white';
  const r = await post(`${s.apiUrl}/v1/images/generations`, {
    prompt,
    size: '256x256',
    seed: 30,
    best_of: 3,
    response_format: 'url',
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const item = r.body.data[0];
  const { candidates, kept } = item.best_of as {
    candidates: { seed: number; relay_seed: number; draft: boolean; score: number }[];
    kept: number;
  };
  // Candidate 0 is the job without best_of; the others continue drafts (distilled base draws).
  assert.deepEqual(
    candidates.map((c) => [c.seed, c.relay_seed, c.draft]),
    [
      [30, 30, false],
      [31, 31, true],
      [32, 32, true],
    ],
  );
  for (const c of candidates) assert.ok(c.score >= 0 && c.score <= 1, `score ${c.score}`);
  assert.equal(candidates[kept]!.score, Math.max(...candidates.map((c) => c.score)));
  const job = await getJob(s.apiUrl, item.job_id);
  assert.deepEqual(job.best_of, item.best_of);
  // Billed for every candidate's steps: its own base, two drafts (the distilled base's 4 steps
  // each), three relay1 draws, then one.
  const of = Object.fromEntries(job.stages.map((x: { name: string; of: number }) => [x.name, x.of]));
  assert.equal(job.usage.steps, of.base + 2 * 4 + 3 * of.relay1 + of.relay2 + of.decode);
  // /v1/jobs at 128 px scores the same candidates (the same images), and its continuation to
  // 256 px gives the bytes the 256 px best_of job gave.
  const small = await done(
    (await post(`${s.apiUrl}/v1/jobs`, { prompt, size: '128x128', seed: 30, best_of: 3 })).body.id,
  );
  assert.equal(small.status, 'succeeded', JSON.stringify(small.error));
  assert.deepEqual(small.best_of, item.best_of);
  const c = await post(`${s.apiUrl}/v1/jobs/${small.id}/continue`, { size: '256x256' });
  assert.equal(c.status, 202, JSON.stringify(c.body));
  const finished = await done(c.body.id);
  const bytes = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());
  assert.deepEqual(await bytes(finished.result.image_url), await bytes(job.result.image_url));
  const streamed = await post(`${s.apiUrl}/v1/images/generations`, { prompt: 'x', best_of: 2, stream: true });
  assert.equal(streamed.status, 400);
  assert.equal(streamed.body.error.param, 'best_of');
  const tooMany = await post(`${s.apiUrl}/v1/jobs`, { prompt: 'x', best_of: 9 });
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.body.error.param, 'best_of');
});

test('upscale: a hand-drawn 100 × 100 PNG of a large red circle top left on white comes back 256 px (best_of 2), and the judge still finds it there; best_of without a prompt is a 400', async () => {
  const { encodePng } = await import('@baton/pipeline/image');
  const { detect } = await import('@baton/shapes');
  // Drawn by hand (no model): white, a red disc of radius 15 centred at (20, 20).
  const data = new Uint8Array(100 * 100 * 3).fill(255);
  for (let y = 0; y < 100; y++)
    for (let x = 0; x < 100; x++)
      if ((x - 20) ** 2 + (y - 20) ** 2 <= 15 ** 2) data.set([230, 40, 40], 3 * (y * 100 + x));
  const form = new FormData();
  form.append(
    'image',
    new Blob([new Uint8Array(encodePng({ width: 100, height: 100, data }))], { type: 'image/png' }),
  );
  form.append('prompt', 'a large red circle in the top left corner, on a white background');
  form.append('size', '256x256');
  form.append('seed', '3');
  // best_of 2: the image relayed twice from where it starts (relay1), each with noise of its own.
  form.append('best_of', '2');
  const r = await fetch(`${s.apiUrl}/v1/images/upscale`, { method: 'POST', headers: auth, body: form });
  const body = (await r.json()) as { data: { b64_json: string; best_of: { candidates: any[] } }[] };
  assert.equal(r.status, 200, JSON.stringify(body));
  assert.deepEqual(
    body.data[0]!.best_of.candidates.map((c: { relay_seed: number }) => c.relay_seed),
    [3, 4],
  );
  const noPrompt = new FormData();
  noPrompt.append('image', form.get('image')!);
  noPrompt.append('best_of', '2');
  const refused = await fetch(`${s.apiUrl}/v1/images/upscale`, {
    method: 'POST',
    headers: auth,
    body: noPrompt,
  });
  assert.equal(refused.status, 400);
  assert.equal(((await refused.json()) as { error: { param: string } }).error.param, 'best_of');
  const img = decodePng(Buffer.from(body.data[0]!.b64_json, 'base64'));
  assert.equal(img.width, 256);
  const found = detect(img);
  assert.equal(found.background, 'white');
  assert.equal(found.objects.length, 1, JSON.stringify(found.objects));
  assert.deepEqual(
    [found.objects[0]!.colour, found.objects[0]!.shape, found.objects[0]!.size, found.objects[0]!.cell],
    ['red', 'circle', 'large', 'top left'],
  );
});
