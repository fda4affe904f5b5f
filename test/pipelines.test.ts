/**
 * Pipelines against the local stack: the official openai client through files → batches →
 * retrieve → output content (one bad line in the error file); a JSONL dropped in the bucket's
 * inbox becomes a batch with results in the outbox; every state change reaches
 * .baton/events.ndjson.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { S3BlobStore } from '@baton/aws';
import { lineJobId } from '@baton/batches';
import { decodePng } from '@baton/shapes';
import type { Stack } from '@baton/stack';
import OpenAI, { toFile } from 'openai';
import { post, stack, TEST_KEY, until, whileHeld } from './helpers.ts';

let s: Stack;
let client: OpenAI;
const eventsFile = join(mkdtempSync(join(tmpdir(), 'baton-events-')), 'events.ndjson');
before(async () => {
  s = await stack({ eventsFile });
  client = new OpenAI({ baseURL: `${s.apiUrl}/v1`, apiKey: TEST_KEY, maxRetries: 2 });
});
after(async () => {
  await s?.close();
});

const line = (id: string, body: unknown) =>
  JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/images/generations', body });

/**
 * An object once its bytes are all there: the local S3 creates a file before it writes it, so a
 * read in between finds it empty.
 */
const written = async (store: S3BlobStore, key: string) => {
  const bytes = await store.get(key);
  return bytes?.length ? bytes : null;
};

const events = () =>
  existsSync(eventsFile)
    ? readFileSync(eventsFile, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map(
          (l) =>
            JSON.parse(l) as {
              source: string;
              'detail-type': string;
              detail: { id: string; status: string; event: { at: number } };
            },
        )
        // The bus keeps no order (nor does EventBridge): consumers order by the event's time.
        .sort((a, b) => a.detail.event.at - b.detail.event.at)
    : [];

test('the official openai client: files.create → batches.create → retrieve → files.content, a bad line in the error file', {
  timeout: 180_000,
}, async () => {
  const jsonl = [
    line('red', { prompt: 'a red circle top left on white', size: '64x64', seed: 1 }),
    line('bad', { prompt: 'a blue square', size: '100x100' }),
    line('blue', {
      prompt: 'a blue square at the bottom on black',
      size: '64x64',
      response_format: 'b64_json',
    }),
    line('webp', { prompt: 'a green dot on white', size: '64x64', output_format: 'webp' }),
    line('jpeg', {
      prompt: 'a green dot on white',
      size: '64x64',
      output_format: 'jpeg',
      output_compression: 50,
      response_format: 'b64_json',
    }),
    line('best', { prompt: 'a red square on white', size: '64x64', seed: 2, best_of: 2 }),
  ].join('\n');
  const file = await client.files.create({
    file: await toFile(Buffer.from(jsonl), 'in.jsonl'),
    purpose: 'batch',
  });
  assert.equal(file.purpose, 'batch');
  const batch = await client.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/images/generations' as never,
    completion_window: '24h',
    metadata: { run: 'test' },
  });
  assert.equal(batch.status, 'validating');
  const done = await until(
    async () => {
      const b = await client.batches.retrieve(batch.id);
      return ['completed', 'failed', 'cancelled', 'expired'].includes(b.status) && b;
    },
    150_000,
    'the batch to end',
  );
  assert.equal(done.status, 'completed');
  assert.deepEqual(done.request_counts, { total: 6, completed: 5, failed: 1 });
  const output = (await (await client.files.content(done.output_file_id!)).text()).trim().split('\n');
  const byId = Object.fromEntries(output.map((l) => [JSON.parse(l).custom_id, JSON.parse(l)]));
  assert.deepEqual(Object.keys(byId).sort(), ['best', 'blue', 'jpeg', 'red', 'webp']);
  // A best_of line: its candidates, scored, and the one kept.
  const best = byId.best.response.body.data[0].best_of;
  assert.equal(best.candidates.length, 2);
  assert.equal(best.candidates[best.kept].score, Math.max(...best.candidates.map((c: any) => c.score)));
  // A line's output_format: its link serves WebP, its b64_json is JPEG.
  const webp = await fetch(byId.webp.response.body.data[0].url);
  assert.equal(webp.headers.get('content-type'), 'image/webp');
  const jpegBytes = Buffer.from(byId.jpeg.response.body.data[0].b64_json, 'base64');
  assert.deepEqual([...jpegBytes.subarray(0, 2)], [0xff, 0xd8]);
  const url = byId.red.response.body.data[0].url as string;
  const png = await fetch(url);
  assert.equal(png.status, 200);
  assert.equal(decodePng(new Uint8Array(await png.arrayBuffer())).width, 64);
  assert.equal(decodePng(Buffer.from(byId.blue.response.body.data[0].b64_json, 'base64')).width, 64);
  const errors = (await (await client.files.content(done.error_file_id!)).text()).trim().split('\n');
  assert.equal(errors.length, 1);
  const bad = JSON.parse(errors[0]!);
  assert.equal(bad.custom_id, 'bad');
  assert.equal(bad.response.body.error.param, 'size');
  const listed = await client.batches.list({ limit: 10 });
  assert.ok(listed.data.some((b) => b.id === batch.id));
  // Every line was billed as a job; the batch says what its jobs used.
  const raw = (await (
    await fetch(`${s.apiUrl}/v1/batches/${batch.id}`, { headers: { authorization: `Bearer ${TEST_KEY}` } })
  ).json()) as {
    usage: { jobs: number; compute_ms: number };
  };
  assert.equal(raw.usage.jobs, 5);
  assert.ok(raw.usage.compute_ms > 0);
  // Each change is published once; like EventBridge, the publisher keeps no order between
  // changes handled together (each event says when it happened).
  const expected = ['Batch Created', 'Batch In Progress', 'Batch Finalizing', 'Batch Completed'];
  const mine = await until(
    async () => {
      const types = events()
        .filter((x) => x.detail.id === batch.id)
        .map((x) => x['detail-type'] as string);
      return expected.every((t) => types.includes(t)) && types;
    },
    20_000,
    'every batch event',
  );
  assert.deepEqual(
    [...mine].sort((a, b) => expected.indexOf(a) - expected.indexOf(b)),
    expected,
  );
});

test('a JSONL dropped in the inbox becomes a batch of that key; results in the outbox; events for every change, once', {
  timeout: 180_000,
}, async () => {
  const key = (await s.keys.list()).find((k) => !k.revokedAt)!;
  const store = new S3BlobStore(s.config);
  const body = [
    line('one', { prompt: 'a green triangle in the center on white', size: '64x64' }),
    line('two', { prompt: 'a purple dot top right on yellow', size: '64x64' }),
  ].join('\n');
  await store.put(`batches/inbox/${key.id}/catalogue.jsonl`, body, 'application/jsonl');
  await store.put(`batches/inbox/nobody/stray.jsonl`, body, 'application/jsonl');
  const out = await until(
    () => written(store, `batches/outbox/${key.id}/catalogue.jsonl/output.jsonl`),
    150_000,
    'the outbox',
  );
  const lines = new TextDecoder()
    .decode(out)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.custom_id).sort(), ['one', 'two']);
  // The API's own signed link (not a presigned S3 URL: those die with the signer's role credentials), for 7 days.
  const link = new URL(lines[0].response.body.data[0].url);
  assert.equal(link.origin, new URL(s.apiUrl).origin);
  assert.match(link.pathname, /^\/v1\/jobs\/job_\w+\/image$/);
  const days = (Number(link.searchParams.get('expires')) * 1000 - Date.now()) / 86_400_000;
  assert.ok(days > 6.9 && days <= 7, `valid ${days.toFixed(2)} days`);
  const img = await fetch(link);
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/png');
  const refused = await until(
    () => written(store, 'batches/outbox/nobody/stray.jsonl/refused.json'),
    10_000,
    'the refusal',
  );
  assert.match(new TextDecoder().decode(refused), /no active API key nobody/);
  const { batch_id } = JSON.parse(
    new TextDecoder().decode((await store.get(`batches/outbox/${key.id}/catalogue.jsonl/batch.json`))!),
  );
  const r = await fetch(`${s.apiUrl}/v1/batches/${batch_id}`, {
    headers: { authorization: `Bearer ${TEST_KEY}` },
  });
  assert.equal(((await r.json()) as { status: string }).status, 'completed');
  const jobIds = lines.map((l) => l.response.request_id as string);
  const jobEvents = ['Job Accepted', 'Job Started', 'Job Succeeded'];
  const typesOf = (e: ReturnType<typeof events>, id: string) =>
    e.filter((x) => x.detail.id === id).map((x) => x['detail-type'] as string);
  // Changes handled together are published in no set order (as on EventBridge): wait for all.
  const all = await until(
    async () => {
      const e = events();
      const batchDone = typesOf(e, batch_id).includes('Batch Completed');
      return batchDone && jobIds.every((id) => jobEvents.every((t) => typesOf(e, id).includes(t))) && e;
    },
    20_000,
    'events',
  );
  assert.ok(all.every((e) => e.source === 'baton'));
  for (const id of jobIds) {
    const mine = typesOf(all, id).sort((a, b) => jobEvents.indexOf(a) - jobEvents.indexOf(b));
    assert.deepEqual(mine, jobEvents, id);
  }
  // Published once each: no (kind, id, type) twice in the whole file.
  const seen = all.map((e) => `${e.detail.id} ${e['detail-type']}`);
  assert.equal(new Set(seen).size, seen.length);
});

test('what a tenant may drop in the inbox cannot take the stack down: an empty object is refused, a name too long or with ".." parts is refused by the local S3, and the stack keeps serving', async () => {
  const key = (await s.keys.list()).find((k) => !k.revokedAt)!;
  const store = new S3BlobStore(s.config);
  await store.put(`batches/inbox/${key.id}/empty.jsonl`, '', 'application/jsonl');
  const refused = await until(
    () => written(store, `batches/outbox/${key.id}/empty.jsonl/refused.json`),
    20_000,
    'the refusal of the empty object',
  );
  assert.match(new TextDecoder().decode(refused), /empty/);
  await assert.rejects(
    store.put(`batches/inbox/${key.id}/${'n'.repeat(240)}.jsonl`, 'x', 'application/jsonl'),
    /KeyTooLongError|at most 233 bytes/,
  );
  await assert.rejects(
    store.put(`batches/inbox/${key.id}/../someone-else/x.jsonl`, 'x', 'application/jsonl'),
    /"\." or "\.\." parts/,
  );
  assert.deepEqual(await store.list('batches/inbox/someone-else/'), []);
  // Still serving: the API and the intake (a good object after the bad ones becomes a batch).
  assert.equal((await fetch(`${s.apiUrl}/healthz`)).status, 200);
  await store.put(
    `batches/inbox/${key.id}/after.jsonl`,
    line('a', { prompt: 'a red circle', size: '64x64' }),
    'application/jsonl',
  );
  await until(() => written(store, `batches/outbox/${key.id}/after.jsonl/batch.json`), 20_000, 'the batch');
});

test("interactive work goes first: a job submitted after a batch's lines runs before all but the lines already in the worker's hands", async () => {
  const n = 17; // more than a worker takes in one receive (8)
  const lines = Array.from({ length: n }, (_, i) =>
    line(`p${i}`, { prompt: 'a blue square', size: '64x64', seed: i }),
  );
  const file = await client.files.create({
    file: await toFile(Buffer.from(lines.join('\n')), 'p.jsonl'),
    purpose: 'batch',
  });
  // The base worker is held while the batch's lines and then the interactive job are queued.
  const { id, batch } = await whileHeld(s, 'base', async () => {
    const b = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/images/generations' as never,
      completion_window: '24h',
    });
    await until(() => s.jobs.request(lineJobId(b.id, n - 1)), 20_000, "the batch's lines to be queued");
    const r = await post(`${s.apiUrl}/v1/jobs`, { prompt: 'a red circle', size: '64x64', seed: 1 });
    assert.equal(r.status, 202);
    return { id: r.body.id as string, batch: b.id };
  });
  await until(async () => (await client.batches.retrieve(batch)).status === 'completed', 60_000, 'the batch');
  const started = async (jobId: string) =>
    (await s.jobs.records(jobId)).find((r) => r.kind === 'started' && r.stage === 'base')!.at;
  const interactive = await started(id);
  const lineStarts = await Promise.all(Array.from({ length: n }, (_, i) => started(lineJobId(batch, i))));
  // At most one receive of lines (8) may go ahead: the poll the worker had in flight when it was
  // held. Without a lane every line queued before the job would (16 of 17 here).
  const ahead = lineStarts.filter((t) => t < interactive).length;
  assert.ok(ahead <= 8, `${ahead} of ${n} lines started before the interactive job`);
});

test('baton batch create (a plain text file) --wait, batch results --out-dir, baton events', {
  timeout: 180_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-batch-cli-'));
  const prompts = join(dir, 'prompts.txt');
  writeFileSync(prompts, '# two shapes\na red circle on white next to a dog\n\nblue box top left, black\n');
  const BIN = join(import.meta.dirname, '..', 'packages', 'cli', 'bin', 'baton.mjs');
  const env = { ...process.env, BATON_API_KEY: TEST_KEY };
  const run = (args: string[]) => promisify(execFile)(process.execPath, [BIN, ...args], { env });
  const created = await run([
    'batch',
    'create',
    prompts,
    '--wait',
    '--size',
    '64',
    '--seed',
    '3',
    '--api',
    s.apiUrl,
  ]);
  const m = /^(batch_[0-9a-f]{24}) completed: 2 done, 0 failed of 2$/m.exec(created.stdout);
  assert.ok(m, created.stdout);
  // A line's prompt warnings are said, as baton generate says its own; a plain line has none.
  assert.match(created.stderr, /^warning: line-1: .*dog/m);
  assert.doesNotMatch(created.stderr, /line-2/);
  const out = join(dir, 'out');
  const r = await run(['batch', 'results', m[1]!, '--out-dir', out, '--api', s.apiUrl]);
  assert.match(r.stdout, /2 images in/);
  assert.match(r.stderr, /^warning: line-1: .*dog/m);
  assert.deepEqual(readdirSync(out).sort(), ['line-1.png', 'line-2.png']);
  assert.equal(decodePng(readFileSync(join(out, 'line-1.png'))).width, 64);
  const got = await run(['batch', 'get', m[1]!, '--api', s.apiUrl]);
  assert.equal(JSON.parse(got.stdout).request_counts.total, 2);
  await until(
    async () => events().some((e) => e['detail-type'] === 'Batch Completed' && e.detail.id === m[1]),
    20_000,
  );
  const ev = await run(['events', '--file', eventsFile]);
  assert.match(ev.stdout, new RegExp(`Batch Completed\\s+${m[1]}  completed`));
  // Each line says the status its change stands for, not the object's when it was published.
  assert.match(ev.stdout, new RegExp(`Batch Created\\s+${m[1]}  validating`));
  const missing = await run(['batch', 'create', join(dir, 'nope.txt'), '--api', s.apiUrl]).catch((e) => e);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read/);
});
