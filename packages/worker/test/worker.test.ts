/**
 * The stage worker on the committed model with an in-memory store: batching, hand-over,
 * at-least-once delivery, permanent vs transient failures, and cancellation between steps.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { MemoryBlobStore, TransientError } from '@baton/aws';
import { openCascade } from '@baton/domains/cascade';
import {
  carriedRequest,
  type JobRequest,
  JobStore,
  keys,
  newJobId,
  type StageMessage,
  usageKeys,
} from '@baton/jobs';
import { type Cascade, planJob } from '@baton/pipeline';
import { stagesOf } from '@baton/pipeline/spec';
import { readLatents } from '@baton/safetensors';
import { type IncomingMessage, StageWorker } from '../src/index.ts';

let cascade: Cascade;
before(async () => {
  cascade = await openCascade();
});

function setup(store = new MemoryBlobStore(), cancelCheckIntervalMs = 0) {
  const jobs = new JobStore(store);
  const sent: StageMessage[] = [];
  const worker = new StageWorker({
    jobs,
    cascade: () => openCascade(),
    enqueue: async (m) => {
      sent.push(m);
    },
    progressIntervalMs: 0,
    cancelCheckIntervalMs,
  });
  return { store, jobs, sent, worker };
}

async function accept(jobs: JobStore, prompt: string, seed: number, extra: Partial<JobRequest> = {}) {
  const spec = planJob(cascade, prompt, { seed, size: 128, stepsBase: 8 });
  const request: JobRequest = {
    id: newJobId(),
    spec,
    stages: stagesOf(cascade.manifest, spec.size),
    model: cascade.manifest.id,
    createdAt: Date.now(),
    correlationId: `c-${seed}`,
    ...extra,
  };
  await jobs.create(request, async () => {});
  return request;
}

let n = 0;
const message = (jobId: string, stage: string): IncomingMessage => ({
  id: `m${++n}`,
  body: JSON.stringify({ v: 1, jobId, stage, correlationId: 'c' }),
});

test('two jobs in one batch run as one model call; each gets its own latents and next message', async () => {
  const { jobs, sent, worker, store } = setup();
  const a = await accept(jobs, 'red circle', 1);
  const b = await accept(jobs, 'blue square', 2, { owner: 'key_1' });
  const r = await worker.handle([message(a.id, 'base'), message(b.id, 'base')]);
  assert.deepEqual(r.retry, []);
  assert.deepEqual(
    sent.map((m) => [m.jobId, m.stage]),
    [
      [a.id, 'relay1'],
      [b.id, 'relay1'],
    ],
  );
  const la = readLatents((await store.get(keys.output(a.id, 'base')))!);
  const lb = readLatents((await store.get(keys.output(b.id, 'base')))!);
  assert.equal(la.meta.job, a.id);
  assert.equal(la.meta.seed, 1);
  assert.notDeepEqual(la.data, lb.data);
  for (const j of [a, b]) {
    const done = (await jobs.records(j.id)).filter((x) => x.kind === 'done');
    assert.equal(done.length, 1);
    assert.equal(done[0]!.batch, 2, 'one batched call');
    const [u] = await jobs.usage(j.id);
    assert.equal(u?.stage, 'base');
    assert.equal(u?.steps, 8);
    assert.equal(u?.complete, true);
  }
  assert.ok(
    await jobs.table.get(
      usageKeys.ledger({
        owner: 'key_1',
        day: new Date(b.createdAt).toISOString().slice(0, 10),
        jobId: b.id,
        stage: 'base',
      }),
    ),
  );
});

test('a redelivered stage is not computed again, is handed on again, and its bytes never change', async () => {
  const { jobs, sent, worker, store } = setup();
  const a = await accept(jobs, 'green triangle', 3);
  await worker.handle([message(a.id, 'base')]);
  const first = await store.get(keys.output(a.id, 'base'));
  // The same stage twice in one batch, then once more on its own.
  const r1 = await worker.handle([message(a.id, 'base'), message(a.id, 'base')]);
  const r2 = await worker.handle([message(a.id, 'base')]);
  assert.deepEqual([r1.retry, r2.retry], [[], []]);
  const computed = (await jobs.records(a.id)).filter((x) => x.kind === 'done');
  assert.equal(computed.length, 1);
  assert.deepEqual(await store.get(keys.output(a.id, 'base')), first);
  assert.ok(
    sent.filter((m) => m.stage === 'relay1').length >= 2,
    'the hand-over is repeated (it may be what was lost)',
  );
});

test('the whole cascade through the worker: the job succeeds and the image is a PNG; the decode runs where the last diffusion stage ran, never enqueued', async () => {
  const { jobs, sent, worker, store } = setup();
  const a = await accept(jobs, 'yellow circle', 4);
  await worker.handle([message(a.id, 'base')]);
  for (const stage of a.stages.slice(1, -1)) {
    const m = sent.find((x) => x.jobId === a.id && x.stage === stage);
    assert.ok(m, `${stage} was enqueued`);
    await worker.handle([message(a.id, stage)]);
  }
  assert.ok(!sent.some((x) => x.stage === 'decode'), 'no decode message');
  const s = await jobs.state(a.id);
  assert.equal(s?.status, 'succeeded');
  const decode = s!.stages.find((x) => x.name === 'decode')!;
  assert.equal(decode.queueWaitMs, 0, 'no queue wait: it ran at once');
  const png = (await store.get(keys.output(a.id, 'decode')))!;
  assert.deepEqual([...png.slice(1, 4)], [...Buffer.from('PNG')]);
  assert.deepEqual(await jobs.activeIds(), [], 'a finished job leaves the active index');
});

test("a job's base partial image is stored before its next stage is handed on; at 64 px, with partials, the decode still runs here", async () => {
  const { jobs, sent, worker } = setup();
  // Each partial is slow to store (a few turns of the event loop); what was sent by then is noted.
  const sentWhenStored: string[][] = [];
  const putPreview = jobs.putPreview.bind(jobs);
  jobs.putPreview = async (id, index, label, png) => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    await putPreview(id, index, label, png);
    sentWhenStored.push(sent.filter((m) => m.jobId === id).map((m) => m.stage));
  };
  const withPreviews = async (size: number, seed: number) => {
    const spec = { ...planJob(cascade, 'green square', { seed, size, stepsBase: 8 }), previews: 2 };
    return accept(jobs, 'green square', seed, { spec, stages: stagesOf(cascade.manifest, size) });
  };
  const a = await withPreviews(128, 21);
  await worker.handle([message(a.id, 'base')]);
  assert.deepEqual(sentWhenStored, [[]], 'the base partial was in before relay1 was sent');
  assert.deepEqual(
    sent.map((m) => m.stage),
    ['relay1'],
  );
  const b = await withPreviews(64, 22);
  assert.deepEqual(b.stages, ['base', 'decode']);
  assert.deepEqual((await worker.handle([message(b.id, 'base')])).retry, []);
  assert.ok(!sent.some((m) => m.jobId === b.id), 'no decode message: the 64 px decode ran here, at once');
  assert.equal((await jobs.state(b.id))?.status, 'succeeded');
  assert.equal((await jobs.previews(b.id)).length, 2);
});

test('permanent failures mark the job failed and are not retried; garbage is dropped', async () => {
  const { jobs, worker, store } = setup();
  const a = await accept(jobs, 'red circle', 5);
  const other = await accept(jobs, 'red circle', 6, { model: 'some-other-model' });
  const bystander = await accept(jobs, 'blue square', 7);
  const before = new Set(store.objects.keys());
  const r = await worker.handle([
    { id: 'g', body: 'not json' },
    {
      id: 'long',
      body: JSON.stringify({ v: 1, jobId: 'x'.repeat(2000), stage: 'base', correlationId: 'c' }),
    },
    message('job_aaaaaaaaaaaaaaaa', 'base'),
    message(bystander.id, 'relay7'), // a stage its job does not have: not its job's failure
    message(a.id, 'relay1'), // its input (the base latents) does not exist
    message(other.id, 'base'),
  ]);
  assert.deepEqual(r.retry, []);
  // Garbage, unknown jobs and foreign stages are dropped without writing anything.
  const written = [...store.objects.keys()].filter((k) => !before.has(k));
  assert.ok(
    written.every((k) => k.includes(a.id) || k.includes(other.id)),
    `only the failed jobs got records: ${written.join(', ')}`,
  );
  assert.equal((await jobs.state(bystander.id))?.status, 'queued');
  const sa = await jobs.state(a.id);
  assert.equal(sa?.status, 'failed');
  assert.equal(sa?.error?.code, 'missing_input');
  const so = await jobs.state(other.id);
  assert.equal(so?.error?.code, 'model_mismatch');
  assert.equal(await store.exists(keys.output(other.id, 'base')), false);
});

test('a transient store failure asks for a retry and leaves the job unharmed', async () => {
  const store = new MemoryBlobStore();
  const { jobs, worker } = setup(store);
  const a = await accept(jobs, 'purple square', 7);
  const put = store.put.bind(store);
  let failNext = true;
  store.put = async (key, body, type) => {
    if (failNext && key === keys.output(a.id, 'base')) {
      failNext = false;
      throw new TransientError('503 SlowDown');
    }
    return put(key, body, type);
  };
  const r1 = await worker.handle([message(a.id, 'base')]);
  assert.equal(r1.retry.length, 1);
  assert.notEqual((await jobs.state(a.id))?.status, 'failed');
  const r2 = await worker.handle([message(a.id, 'base')]);
  assert.deepEqual(r2.retry, []);
  assert.ok(await store.exists(keys.output(a.id, 'base')));
});

test('cancelled between steps: the stage stops, bills the steps that ran, writes nothing, hands nothing on', async () => {
  const { jobs, sent, worker, store } = setup();
  const a = await accept(jobs, 'white circle', 8);
  let steps = 0;
  await worker.handle([message(a.id, 'base')], {
    betweenSteps: async () => {
      if (++steps === 3) await jobs.cancel(a.id);
    },
  });
  assert.equal(await store.exists(keys.output(a.id, 'base')), false);
  assert.deepEqual(sent, []);
  const [u] = await jobs.usage(a.id);
  assert.equal(u?.complete, false);
  assert.ok(u!.steps >= 3 && u!.steps < 8, `billed ${u?.steps} steps`);
  assert.equal((await jobs.state(a.id))?.status, 'canceled');
  // A later delivery of any stage is skipped.
  await worker.handle([message(a.id, 'base')]);
  assert.equal(await store.exists(keys.output(a.id, 'base')), false);
});

test('cancelled while the last stage computes: no image is written', async () => {
  // No between-step checks: only the last stage's final look can catch it.
  const { jobs, worker, store, sent } = setup(new MemoryBlobStore(), 60_000);
  const a = await accept(jobs, 'black square', 9);
  const last = a.stages[a.stages.length - 2]!;
  for (const stage of a.stages.slice(0, -2)) await worker.handle([message(a.id, stage)]);
  assert.ok(sent.some((m) => m.stage === last));
  // The decode runs right after the last diffusion stage, in the same call; it has one step,
  // and the cancel arrives during it (once that stage's output is stored).
  await worker.handle([message(a.id, last)], {
    betweenSteps: async () => {
      if (await store.exists(keys.output(a.id, last))) await jobs.cancel(a.id);
    },
  });
  assert.equal(await store.exists(keys.output(a.id, 'decode')), false);
  assert.equal((await jobs.state(a.id))?.status, 'canceled');
});

test("a hand-on names the stage it follows and carries its small output; the next worker reads nothing more, or that input beside the job; a hint that is not the job's previous stage is not used", async () => {
  const { jobs, sent, worker, store } = setup();
  const a = await accept(jobs, 'red circle', 5);
  await worker.handle([message(a.id, 'base')]);
  const next = sent.at(-1)!;
  assert.deepEqual([next.stage, next.after], ['relay1', 'base']);
  assert.deepEqual(
    new Uint8Array(Buffer.from(next.input!, 'base64')),
    await store.get(keys.output(a.id, 'base')),
    'it carries the stored output',
  );
  const reads: string[] = [];
  const get = store.get.bind(store);
  store.get = async (k: string) => {
    reads.push(k);
    return get(k);
  };
  // Carried: the input is never read. Only named (an output too large to carry): read once, beside the job.
  await worker.handle([{ id: 'h1', body: JSON.stringify(next) }]);
  const relay1 = await store.get(keys.output(a.id, 'relay1'));
  const b = await accept(jobs, 'red circle', 5);
  await worker.handle([message(b.id, 'base')]);
  const { input: _, ...named } = sent.at(-1)!;
  await worker.handle([{ id: 'h2', body: JSON.stringify(named) }]);
  assert.deepEqual(
    reads.filter((k) => k === keys.output(a.id, 'base')),
    [],
  );
  assert.deepEqual(
    reads.filter((k) => k === keys.output(b.id, 'base')),
    [keys.output(b.id, 'base')],
  );
  assert.deepEqual(
    readLatents((await store.get(keys.output(b.id, 'relay1')))!).data,
    readLatents(relay1!).data,
    'the same latents either way',
  );
  // A hint naming an output that is not the stage's input (base, for relay2): not used. The
  // stage reads its own input and makes the latents a correct message makes.
  const jobAt256 = async () => {
    const r = await accept(jobs, 'red circle', 5);
    const spec = planJob(cascade, 'red circle', { seed: 5, size: 256, stepsBase: 8 });
    const request = { ...r, id: newJobId(), spec, stages: stagesOf(cascade.manifest, 256) };
    await jobs.create(request, async () => {});
    await worker.handle([message(request.id, 'base')]);
    await worker.handle([message(request.id, 'relay1')]);
    return request.id;
  };
  const [good, wrong] = [await jobAt256(), await jobAt256()];
  const relay2 = (id: string, after: string) => ({
    id: `h-${id}`,
    body: JSON.stringify({ v: 1, jobId: id, stage: 'relay2', correlationId: 'c', after }),
  });
  await worker.handle([relay2(good, 'relay1')]);
  assert.deepEqual((await worker.handle([relay2(wrong, 'base')])).retry, []);
  const latentsOf = async (id: string) => readLatents((await store.get(keys.output(id, 'relay2')))!).data;
  assert.deepEqual(await latentsOf(wrong), await latentsOf(good));
});

test("each done record traces the stage hop by hop: the queue wait up to the worker's receipt, then load, run and store", async () => {
  const { jobs, worker } = setup();
  const a = await accept(jobs, 'blue square', 6);
  const sentAt = Date.now() - 40;
  const before = Date.now();
  await worker.handle([{ ...message(a.id, 'base'), sentAt }]);
  const done = (await jobs.records(a.id)).find((r) => r.kind === 'done' && r.stage === 'base')!;
  const t = done.trace!;
  assert.ok(t.receivedAt >= before && t.receivedAt <= done.at);
  assert.equal(done.queueWaitMs, t.receivedAt - sentAt);
  assert.ok([t.loadMs, t.runMs, t.storeMs].every((ms) => ms >= 0));
  assert.ok(t.runMs >= (done.onnxMs ?? 0) - 1, 'the run holds the ONNX time');
  assert.ok(t.receivedAt + t.loadMs + t.runMs + t.storeMs <= done.at + 1, 'the spans end by the done record');
  // The done record and the stage's usage are written together.
  assert.equal((await jobs.usage(a.id)).find((u) => u.stage === 'base')?.complete, true);
});

test("the decode starts while the last relay's done record is being written, and its own done record follows that one", async () => {
  const { jobs, sent, worker, store } = setup();
  const a = await accept(jobs, 'yellow circle', 8);
  await worker.handle([message(a.id, 'base')]);
  const relay = sent.find((x) => x.jobId === a.id && x.stage === 'relay1')!;
  // relay1's done record is held until the image exists: only a decode that does not wait for it gets there.
  const stageDone = jobs.stageDone.bind(jobs);
  let imageFirst = false;
  jobs.stageDone = async (id, stage, fields, usage) => {
    if (stage === 'relay1') {
      while (!(await store.exists(keys.output(a.id, 'decode')))) await new Promise((r) => setImmediate(r));
      imageFirst = true;
    }
    return stageDone(id, stage, fields, usage);
  };
  assert.deepEqual((await worker.handle([{ id: 'r1', body: JSON.stringify(relay) }])).retry, []);
  assert.ok(imageFirst);
  const done = (await jobs.records(a.id)).filter((r) => r.kind === 'done').map((r) => r.stage);
  assert.deepEqual(done, ['base', 'relay1', 'decode']);
  assert.equal((await jobs.state(a.id))?.status, 'succeeded');
});

/** A message as the API and the worker send them: with the job's request (no webhook). */
const carrying = (r: JobRequest, stage: string): IncomingMessage => ({
  id: `m${++n}`,
  body: JSON.stringify({ v: 1, jobId: r.id, stage, correlationId: 'c', request: carriedRequest(r) }),
});

// A worker that read the job first would wait for ever: the timeout fails it.
test("a message that carries its job's request is computed before the job is read, and commits what a message read first does", {
  timeout: 60_000,
}, async () => {
  const { jobs, sent, worker, store } = setup();
  const a = await accept(jobs, 'red circle', 11);
  const b = await accept(jobs, 'red circle', 11);
  // a's read is held until the model has run a step: a worker that read first would never get there.
  const job = jobs.job.bind(jobs);
  let stepped!: () => void;
  const firstStep = new Promise<void>((r) => {
    stepped = r;
  });
  jobs.job = async (id) => {
    if (id === a.id) await firstStep;
    return job(id);
  };
  const r = await worker.handle([carrying(a, 'base')], { betweenSteps: () => stepped() });
  jobs.job = job;
  await worker.handle([message(b.id, 'base')]);
  assert.deepEqual(r.retry, []);
  const [la, lb] = await Promise.all(
    [a, b].map(async (j) => readLatents((await store.get(keys.output(j.id, 'base')))!)),
  );
  assert.deepEqual(la!.data, lb!.data, 'the same latents');
  const kinds = async (id: string) => (await jobs.records(id)).map((x) => `${x.kind}:${x.stage}`);
  assert.deepEqual(await kinds(a.id), await kinds(b.id));
  assert.deepEqual(await kinds(a.id), ['started:base', 'done:base']);
  assert.equal((await jobs.usage(a.id))[0]?.steps, 8, 'billed');
  const handOn = sent.find((m) => m.jobId === a.id)!;
  assert.deepEqual([handOn.stage, handOn.request], ['relay1', carriedRequest(a)], 'the request rides on');
});

test('a carried message whose job was cancelled, or is unknown, computes but commits and bills nothing; one whose stage is done is only handed on again', async () => {
  const { jobs, sent, worker, store } = setup();
  const cancelled = await accept(jobs, 'white circle', 12);
  await jobs.cancel(cancelled.id);
  const unknown = { ...(await accept(jobs, 'blue square', 13)), id: 'job_unknownunknown1' };
  const done = await accept(jobs, 'green triangle', 14);
  await worker.handle([carrying(done, 'base')]);
  const before = await store.get(keys.output(done.id, 'base'));
  sent.length = 0;
  const r = await worker.handle([
    carrying(cancelled, 'base'),
    carrying(unknown, 'base'),
    carrying(done, 'base'),
  ]);
  assert.deepEqual(r.retry, [], 'none is retried');
  for (const j of [cancelled, unknown]) assert.equal(await store.exists(keys.output(j.id, 'base')), false);
  assert.deepEqual(
    (await jobs.records(cancelled.id)).map((x) => x.kind),
    ['cancelled'],
    'no started or done record',
  );
  assert.deepEqual(await jobs.usage(cancelled.id), [], 'billed nothing');
  assert.equal(await jobs.state(unknown.id), null);
  assert.equal(
    (await jobs.records(done.id)).filter((x) => x.kind === 'done').length,
    1,
    'not committed twice',
  );
  assert.deepEqual(await store.get(keys.output(done.id, 'base')), before);
  assert.deepEqual(
    sent.map((m) => [m.jobId, m.stage]),
    [[done.id, 'relay1']],
    'the done stage handed on again, nothing else',
  );
});

test("a carried message whose job read fails transiently is retried, committing nothing; the stored request's webhook is heard though the message has none", async () => {
  const sends: string[] = [];
  const jobs = new JobStore(new MemoryBlobStore(), undefined, Date.now, {
    webhooks: { send: (r, event) => void sends.push(`${r.id}:${event}`) },
  });
  const worker = new StageWorker({
    jobs,
    cascade: () => openCascade(),
    enqueue: async () => {},
    progressIntervalMs: 0,
    cancelCheckIntervalMs: 60_000,
  });
  const hook = { url: 'https://hooks.example.com/x', events: ['started' as const], secret: 'whsec_x' };
  const a = await accept(jobs, 'purple square', 15, { webhook: hook });
  const job = jobs.job.bind(jobs);
  jobs.job = async () => {
    throw new TransientError('503 SlowDown');
  };
  const m = carrying(a, 'base');
  const r1 = await worker.handle([m]);
  assert.deepEqual(r1.retry, [m.id]);
  assert.deepEqual(await jobs.records(a.id), [], 'nothing committed');
  assert.equal(await jobs.store.exists(keys.output(a.id, 'base')), false);
  jobs.job = job;
  const r2 = await worker.handle([m]);
  assert.deepEqual(r2.retry, []);
  assert.deepEqual(sends, [`${a.id}:started`]);
  assert.ok(!JSON.parse(m.body).request.webhook, 'the message carried no webhook');
});

test('a carried request that is not the one accepted (another spec) commits nothing; the job as stored is untouched', async () => {
  const { jobs, sent, worker, store } = setup();
  const a = await accept(jobs, 'red circle', 16);
  const forged = { ...a, spec: { ...a.spec, seed: 999 } };
  const r = await worker.handle([carrying(forged, 'base')]);
  assert.deepEqual(r.retry, []);
  assert.equal(await store.exists(keys.output(a.id, 'base')), false);
  assert.deepEqual(await jobs.records(a.id), [], 'no started or done record');
  assert.deepEqual(sent, []);
});
