/** Job state as a pure function of immutable records, and the store's accept / cancel / sweep. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBlobStore } from '@baton/aws';
import type { JobSpec } from '@baton/pipeline/spec';
import {
  CARRY_MAX_BYTES,
  carriedRequest,
  deriveState,
  EndForecast,
  type EventMessage,
  handOnMessage,
  type JobRequest,
  JobStore,
  nextLookMs,
  nextStage,
  parseStageMessage,
  previousStage,
  type StageMessage,
  type StageRecord,
} from '../src/index.ts';

const spec: JobSpec = {
  prompt: 'red circle',
  caption: 'a red circle',
  seed: 1,
  size: 128,
  variant: 'standard',
  stepsBase: 32,
  stepsRelay: 10,
  guidanceBase: 4,
  guidanceRelay: 4,
};
const request = (id = 'job_aaaaaaaaaaaaaaaa', createdAt = 1000): JobRequest => ({
  id,
  spec,
  stages: ['base', 'relay1', 'decode'],
  model: 'shapes-v1',
  createdAt,
  correlationId: 'c',
});
const rec = (kind: StageRecord['kind'], stage: string, at: number, extra: Partial<StageRecord> = {}) => ({
  kind,
  stage,
  at,
  ...extra,
});

test('stage order helpers', () => {
  const r = request();
  assert.equal(nextStage(r.stages, 'base'), 'relay1');
  assert.equal(nextStage(r.stages, 'decode'), undefined);
  assert.equal(previousStage(r.stages, 'base'), undefined);
  assert.equal(previousStage(r.stages, 'decode'), 'relay1');
});

test('queued → running with progress → succeeded, with timings per stage', () => {
  const r = request();
  assert.equal(deriveState(r, []).status, 'queued');
  assert.equal(deriveState(r, []).stage, 'base');
  const running = deriveState(r, [rec('started', 'base', 1100)], { base: { step: 7, of: 32 } });
  assert.equal(running.status, 'running');
  assert.equal(running.stage, 'base');
  assert.deepEqual(
    { status: running.stages[0]!.status, step: running.stages[0]!.step, of: running.stages[0]!.of },
    { status: 'running', step: 7, of: 32 },
  );
  const records = [
    rec('started', 'base', 1100),
    rec('done', 'base', 1300, { ms: 200, steps: 32, batch: 2 }),
    rec('started', 'relay1', 1310),
    rec('done', 'relay1', 1500, { ms: 190, steps: 10, batch: 1 }),
    rec('started', 'decode', 1510),
    rec('done', 'decode', 1540, { ms: 30, steps: 1, batch: 1 }),
  ];
  // Listing order is not time order: the state must not depend on it.
  const s = deriveState(r, [...records].reverse());
  assert.equal(s.status, 'succeeded');
  assert.equal(s.finishedAt, 1540);
  assert.equal(s.stage, undefined);
  assert.deepEqual(
    s.stages.map((x) => [x.name, x.status, x.ms, x.batch]),
    [
      ['base', 'done', 200, 2],
      ['relay1', 'done', 190, 1],
      ['decode', 'done', 30, 1],
    ],
  );
});

test('a duplicate done record (a redelivered stage) changes nothing', () => {
  const r = request();
  const once = [rec('done', 'base', 1300, { ms: 200 })];
  const twice = [...once, rec('done', 'base', 1400, { messageId: 'again' })];
  assert.deepEqual(deriveState(r, twice).stages[0], deriveState(r, once).stages[0]);
});

test('failed: the stage and reason are reported; a failure before a cancel wins', () => {
  const r = request();
  const s = deriveState(r, [
    rec('done', 'base', 1300),
    rec('failed', 'relay1', 1400, { reason: 'bad latents', code: 'bad_input' }),
  ]);
  assert.equal(s.status, 'failed');
  assert.deepEqual(s.error, { stage: 'relay1', reason: 'bad latents', code: 'bad_input' });
  const both = deriveState(r, [rec('failed', 'base', 1400), rec('cancelled', 'base', 1500)]);
  assert.equal(both.status, 'failed');
  assert.equal(deriveState(r, [rec('dead-letter', 'base', 1400)]).status, 'failed');
});

test('cancelled: the cancel stands even when the last done record, stamped earlier, lands later', () => {
  const r = request();
  // The API saw the job unfinished and answered "canceled"; the decode's done record was
  // stamped a moment before the cancel but was not yet visible. The answer stands.
  const s = deriveState(r, [
    rec('done', 'base', 1300),
    rec('done', 'relay1', 1500),
    rec('done', 'decode', 1540),
    rec('cancelled', 'decode', 1541),
  ]);
  assert.equal(s.status, 'canceled');
  assert.equal(s.finishedAt, 1541);
  assert.equal(deriveState(r, [rec('cancelled', 'job', 1200)]).status, 'canceled');
});

test('JobStore: accept, read state, cancel once, and the finished job leaves the active index and its place', async () => {
  const store = new MemoryBlobStore();
  let t = 1000;
  const jobs = new JobStore(store, undefined, () => t++);
  const sent: StageMessage[] = [];
  const r = { ...request(), owner: 'key_1' };
  assert.ok(await jobs.quota.claim('key_1', [r.id], 4));
  await jobs.create(r, async (m) => {
    sent.push(m);
  });
  assert.deepEqual(sent, [
    { v: 1, jobId: r.id, stage: 'base', correlationId: 'c', tenant: 'key_1', request: r },
  ]);
  assert.deepEqual(await jobs.activeIds(), [r.id]);
  assert.deepEqual(await jobs.quota.holders('key_1'), [r.id]);
  await jobs.append(r.id, 'started', 'base');
  await jobs.setProgress(r.id, 'base', 3, 32);
  const running = await jobs.state(r.id);
  assert.equal(running?.status, 'running');
  assert.equal(running?.stages[0]?.step, 3);
  assert.ok((await jobs.kinds(r.id)).has('started'));

  const c = await jobs.cancel(r.id);
  assert.equal(c?.status, 'canceled');
  assert.deepEqual(await jobs.activeIds(), []);
  assert.deepEqual(await jobs.quota.holders('key_1'), []);
  // A second cancel finds the job finished and writes nothing.
  const n = (await jobs.records(r.id)).length;
  assert.equal((await jobs.cancel(r.id))?.status, 'canceled');
  assert.equal((await jobs.records(r.id)).length, n);
  assert.equal(await jobs.cancel('job_bbbbbbbbbbbbbbbb'), null);
});

test("a crash between a job's outcome and its release: the sweep gives the place back, once", async () => {
  const jobs = new JobStore(new MemoryBlobStore(), undefined, () => 2000);
  const r = { ...request(), owner: 'key_1' };
  const other = { ...request('job_otherotherother2'), owner: 'key_1' };
  assert.ok(await jobs.quota.claim('key_1', [r.id, other.id], 2));
  for (const x of [r, other]) await jobs.create(x, async () => {});
  // The outcome is claimed and the records written, then the process dies before finished().
  assert.ok(await jobs.claimOutcome(r.id, 'canceled'));
  await jobs.append(r.id, 'cancelled', 'base');
  assert.equal(await jobs.quota.claim('key_1', ['job_next'], 2), false, 'the place is still held');
  const swept = await jobs.sweep(async () => {}, 60_000);
  assert.deepEqual(swept.finished, [r.id]);
  assert.deepEqual(await jobs.quota.holders('key_1'), [other.id]);
  // Swept again, or finished again by a late worker: nothing more is freed.
  await jobs.sweep(async () => {}, 60_000);
  await jobs.finished(r);
  assert.deepEqual(await jobs.quota.holders('key_1'), [other.id]);
});

test("a job write that fails while its quota claim is still out is the create's error, never an unhandled rejection", async () => {
  const jobs = new JobStore(new MemoryBlobStore(), undefined, () => 2000);
  jobs.table.put = async () => {
    throw new Error('table down');
  };
  const unhandled: unknown[] = [];
  const seen = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', seen);
  try {
    let admit = () => {};
    const admitted = new Promise<void>((r) => (admit = r));
    const created = jobs.create(request(), async () => {}, admitted);
    // The put has failed, and the unhandled-rejection check has run, before the claim answers.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    admit();
    await assert.rejects(created, /table down/);
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', seen);
  }
});

test('claimOutcome: the first side wins, the same side again still wins, the other loses; unknown jobs claim nothing', async () => {
  const jobs = new JobStore(new MemoryBlobStore(), undefined, () => 2000);
  const r = request();
  await jobs.create(r, async () => {});
  assert.equal(await jobs.claimOutcome(r.id, 'succeeded'), true);
  assert.equal(await jobs.claimOutcome(r.id, 'succeeded'), true, 'a redelivered last stage');
  assert.equal(await jobs.claimOutcome(r.id, 'canceled'), false);
  assert.equal(await jobs.claimOutcome('job_nonenonenonenone', 'canceled'), false);
  assert.equal(await jobs.state('job_nonenonenonenone'), null, 'no item made for an unknown job');
});

test('sweep: a stale stage is re-enqueued once per stale period; fresh and finished jobs are not', async () => {
  const store = new MemoryBlobStore();
  let now = 10_000;
  const jobs = new JobStore(store, undefined, () => now);
  const sent: StageMessage[] = [];
  const enqueue = async (m: StageMessage) => {
    sent.push(m);
  };
  const stale = request('job_stalestalestale2', 10_000);
  const fresh = request('job_freshfreshfresh2', 10_000);
  const finished = request('job_donedonedonedone', 10_000);
  for (const r of [stale, fresh, finished]) await jobs.create(r, async () => {});
  await jobs.append(stale.id, 'done', 'base');
  now = 20_000;
  await jobs.append(fresh.id, 'started', 'base');
  for (const st of finished.stages) await jobs.append(finished.id, 'done', st);

  now = 25_000;
  const r1 = await jobs.sweep(enqueue, 10_000);
  assert.deepEqual(r1.requeued, [stale.id]);
  assert.deepEqual(r1.finished, [finished.id]);
  assert.deepEqual(sent, [
    { v: 1, jobId: stale.id, stage: 'relay1', correlationId: 'c', tenant: 'local', request: stale },
  ]);
  assert.ok((await jobs.kinds(stale.id)).has('requeued'));
  assert.deepEqual((await jobs.activeIds()).sort(), [fresh.id, stale.id].sort());

  // Right after a requeue the stage is not stale again; a full period later it is.
  now = 26_000;
  assert.deepEqual((await jobs.sweep(enqueue, 10_000)).requeued, []);
  now = 36_000;
  assert.deepEqual((await jobs.sweep(enqueue, 10_000)).requeued.sort(), [fresh.id, stale.id].sort());
});

test('kinds() and isTerminal() agree with deriveState', async () => {
  const jobs = new JobStore(new MemoryBlobStore(), undefined, () => 2000);
  const r = request();
  await jobs.create(r, async () => {});
  assert.equal(await jobs.isTerminal(r), false);
  await jobs.append(r.id, 'done', 'base');
  await jobs.append(r.id, 'done', 'relay1');
  assert.equal(await jobs.isTerminal(r), false, 'relay1 done is not the end');
  await jobs.append(r.id, 'done', 'decode');
  assert.equal(await jobs.isTerminal(r), true);
  assert.equal((await jobs.state(r.id))?.status, 'succeeded');

  const d = request('job_deaddeaddeaddead');
  await jobs.create(d, async () => {});
  await jobs.append(d.id, 'dead-letter', 'base');
  assert.ok((await jobs.kinds(d.id)).has('dead-letter'));
  assert.equal(await jobs.isTerminal(d), true);
  assert.equal((await jobs.state(d.id))?.status, 'failed');
});

test("a waiter looks at a tenth of the job's age, then of its last diffusion stage's, then every min ms while it decodes", () => {
  const r = request(); // created at 1000; stages base, relay1, decode
  const bounds = { min: 10, max: 200 };
  const at = (now: number, records: StageRecord[]) => nextLookMs(r, records, now, bounds);
  assert.equal(at(1050, []), 10, 'young: the floor');
  assert.equal(at(1500, []), 50, 'a tenth of its age');
  assert.equal(at(9000, []), 200, 'never past the cap');
  const base = [rec('started', 'base', 1010), rec('done', 'base', 1300)];
  assert.equal(at(1600, base), 60, "relay1 not started: still the job's age");
  const relay = [...base, rec('started', 'relay1', 1320)];
  assert.equal(at(1400, relay), 10, 'relay1 just started: a tenth of its 80 ms, floored');
  assert.equal(at(1820, relay), 50, 'relay1 500 ms in');
  assert.equal(at(4000, relay), 200, 'capped at the job-age bound');
  assert.equal(at(1900, [...relay, rec('done', 'relay1', 1880)]), 10, 'decoding: every min ms');
});

test('with a forecast, a waiter sleeps until a quick job of its kind would have ended, then looks a tenth of the spread apart (at least min ms) until a slow one would have; past it, the age rule', () => {
  const r = request(); // created at 1000
  const bounds = { min: 10, max: 200 };
  const at = (now: number, expected: { soonestMs: number; latestMs: number }, records: StageRecord[] = []) =>
    nextLookMs(r, records, now, bounds, expected);
  const alike = { soonestMs: 450, latestMs: 520 };
  assert.equal(at(1000, alike), 200, 'just made: as long as the cap allows');
  assert.equal(at(1300, alike), 150, 'until the quick one would have ended (1450)');
  assert.equal(at(1460, alike), 10, 'then every min ms: jobs of its kind take about the same time');
  assert.equal(at(1510, alike), 10);
  assert.equal(at(1600, alike), 60, 'past the slow one: a tenth of its age');
  const varied = { soonestMs: 400, latestMs: 1400 };
  assert.equal(at(1500, varied), 100, 'a wide spread (under load): ten looks across it, not a hundred');
  const decoding = [rec('done', 'relay1', 1380)];
  assert.equal(at(1400, varied, decoding), 10, 'decoding: every min ms, whatever the forecast');
});

test('a forecast is a quick and a slow time its kind took (tenth and ninetieth percentiles), once three have ended; kinds differ by size, steps and best_of', () => {
  const f = new EndForecast();
  const ended = (id: string, ms: number, o: Partial<JobSpec> = {}) => {
    const r = { ...request(id, 0), spec: { ...spec, ...o } };
    f.learn(r, [rec('started', 'base', 1), rec('done', 'decode', ms)]);
    return r;
  };
  const a = ended('job_aaaaaaaaaaaaaaa1', 400);
  assert.equal(f.expected(a), undefined, 'one seen: no forecast yet');
  ended('job_aaaaaaaaaaaaaaa2', 900);
  ended('job_aaaaaaaaaaaaaaa3', 420);
  assert.deepEqual(f.expected(a), { soonestMs: 400, latestMs: 840 }, 'the slow one at most twice the median');
  ended('job_aaaaaaaaaaaaaaa4', 500);
  assert.deepEqual(f.expected(a), { soonestMs: 400, latestMs: 900 });
  for (let i = 5; i <= 20; i++) ended(`job_aaaaaaaaaaaaaa${String(i).padStart(2, '0')}`, 300 + 10 * i);
  // The 16 most recent: 350 … 500 in tens; a tenth in, and nine tenths in.
  assert.deepEqual(f.expected(a), { soonestMs: 360, latestMs: 490 });
  assert.equal(
    f.expected({ ...a, spec: { ...spec, stepsBase: 64 } }),
    undefined,
    'other steps: another kind',
  );
  assert.equal(f.expected({ ...a, spec: { ...spec, bestOf: 4 } }), undefined);
  // Jobs that ended without their last stage (failed, cancelled) teach nothing.
  const b = { ...request('job_bbbbbbbbbbbbbbb1', 0), spec: { ...spec, size: 256 } };
  for (let i = 0; i < 3; i++) f.learn(b, [rec('done', 'relay1', 300), rec('cancelled', 'decode', 310)]);
  assert.equal(f.expected(b), undefined);
  // A bounded memory: past its kinds, the kind that ended least recently is forgotten.
  const small = new EndForecast(16, 1, 2);
  const one = (steps: number) => {
    const r = { ...request(`job_ccccccccccccccc${steps}`, 0), spec: { ...spec, stepsBase: steps } };
    small.learn(r, [rec('done', 'decode', steps)]);
    return r;
  };
  const [s1, s2] = [one(1), one(2)];
  one(1);
  const s3 = one(3);
  assert.deepEqual(
    [s1, s2, s3].map((r) => small.expected(r)?.soonestMs),
    [1, undefined, 3],
  );
});

test('changeToken moves with the records and the running stage’s progress, and only then', async () => {
  const jobs = new JobStore(new MemoryBlobStore(), undefined, () => 2000);
  const r = request();
  await jobs.create(r, async () => {});
  const t0 = await jobs.changeToken(r);
  assert.equal(await jobs.changeToken(r), t0, 'nothing happened');
  await jobs.append(r.id, 'started', 'base');
  const t1 = await jobs.changeToken(r);
  assert.notEqual(t1, t0);
  await jobs.setProgress(r.id, 'base', 3, 32);
  const t2 = await jobs.changeToken(r);
  assert.notEqual(t2, t1);
  await jobs.append(r.id, 'done', 'base');
  const t3 = await jobs.changeToken(r);
  assert.notEqual(t3, t2);
  // A finished stage's progress is no longer watched.
  await jobs.setProgress(r.id, 'base', 32, 32);
  assert.equal(await jobs.changeToken(r), t3);
  await jobs.setProgress(r.id, 'relay1', 1, 10);
  assert.notEqual(await jobs.changeToken(r), t3);
});

test('cancel announces "Job Canceled" once: only the cancel that claims the outcome does', async () => {
  const events: EventMessage[] = [];
  const jobs = new JobStore(new MemoryBlobStore(), undefined, () => 2000, {
    events: async (m) => {
      events.push(m);
    },
  });
  const r = request();
  const done = request('job_donedonedonedone');
  for (const x of [r, done]) await jobs.create(x, async () => {});
  await Promise.all([jobs.cancel(r.id), jobs.cancel(r.id), jobs.cancel(r.id)]);
  await jobs.cancel(r.id);
  // A job whose last stage claimed "succeeded" first is not cancelled, and nothing is announced.
  assert.ok(await jobs.claimOutcome(done.id, 'succeeded'));
  await jobs.cancel(done.id);
  assert.deepEqual(
    events.filter((e) => e.type === 'Job Canceled').map((e) => e.id),
    [r.id],
  );
  assert.deepEqual(
    events.filter((e) => e.type === 'Job Accepted').map((e) => e.id),
    [r.id, done.id],
    'each job announced once when accepted',
  );
});

test('stage messages name their tenant (the owner, else local); the parser keeps a usable one only', () => {
  const body = { v: 1, jobId: request().id, stage: 'base', correlationId: 'c' };
  assert.equal(parseStageMessage(JSON.stringify({ ...body, tenant: 'key_1' })).tenant, 'key_1');
  // Not a MessageGroupId SQS takes (spaces, over 128 characters, not a string): no tenant, a turn of its own.
  for (const tenant of ['a b', 'k'.repeat(129), 7, ''])
    assert.equal(parseStageMessage(JSON.stringify({ ...body, tenant })).tenant, undefined, String(tenant));
  assert.equal(parseStageMessage(JSON.stringify(body)).tenant, undefined);
});

test('a hand-on message names the stage it follows and carries its output up to CARRY_MAX_BYTES; the parser keeps both', () => {
  const msg: StageMessage = {
    v: 1,
    jobId: 'job_aaaaaaaaaaaaaaaa',
    stage: 'base',
    correlationId: 'c',
    tenant: 't',
  };
  const small = new Uint8Array([1, 2, 3, 250]);
  const next = handOnMessage(msg, 'relay1', small);
  assert.deepEqual(parseStageMessage(JSON.stringify(next)), next);
  assert.deepEqual([next.stage, next.after, next.tenant], ['relay1', 'base', 't']);
  assert.deepEqual(new Uint8Array(Buffer.from(next.input!, 'base64')), small);
  // Too large: only named (the next stage reads it); and a carried input never rides on to a third stage.
  const large = handOnMessage(next, 'relay2', new Uint8Array(CARRY_MAX_BYTES + 1));
  assert.deepEqual([large.after, large.input], ['relay1', undefined]);
  assert.ok(
    JSON.stringify(handOnMessage(msg, 'relay1', new Uint8Array(CARRY_MAX_BYTES))).length < 256 * 1024,
  );
  // An input without the stage it came from is dropped; a bad stage name drops both.
  const { after: _, ...noAfter } = next;
  assert.equal(parseStageMessage(JSON.stringify(noAfter)).input, undefined);
  const bad = parseStageMessage(JSON.stringify({ ...next, after: 'nope' }));
  assert.deepEqual([bad.after, bad.input], [undefined, undefined]);
});

test("a stage message carries the job's request without its webhook, on through hand-ons; the parser keeps only one that names the message's job", () => {
  const r = {
    ...request('job_aaaaaaaaaaaaaaaa'),
    webhook: { url: 'https://hooks.example.com/x', events: ['completed' as const], secret: 'whsec_secret' },
  };
  const carried = carriedRequest(r);
  assert.equal('webhook' in carried, false, 'no webhook secret rides on a queue');
  assert.deepEqual(carried, request('job_aaaaaaaaaaaaaaaa'), 'the rest as accepted');
  const msg: StageMessage = { v: 1, jobId: r.id, stage: 'base', correlationId: 'c', request: carried };
  const next = handOnMessage(msg, 'relay1', new Uint8Array([1, 2]));
  assert.deepEqual(parseStageMessage(JSON.stringify(next)).request, carried);
  // Another job's request, or one missing what a stage computes from, is dropped (the job is read first).
  const other = { ...msg, request: { ...carried, id: 'job_bbbbbbbbbbbbbbbb' } };
  assert.equal(parseStageMessage(JSON.stringify(other)).request, undefined);
  for (const broken of [{ ...carried, stages: 'base' }, { ...carried, spec: null }, 'x', null]) {
    assert.equal(parseStageMessage(JSON.stringify({ ...msg, request: broken })).request, undefined);
  }
});
