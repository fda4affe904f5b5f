/**
 * `npm run bench`: numbers, not assertions. Everything is measured in this one run on
 * this machine, and compared as ratios.
 *
 *   1. time per stage in-process (64/128/256 px, standard and distilled), and the
 *      single-stage 128 px model beside the relay cascade;
 *   2. first-image latency of a cold `baton generate` process;
 *   3. the local stack: images/s at 1 and 8 concurrent jobs (batching), and the share
 *      of end-to-end time spent outside ONNX run();
 *   5. closer to the hardware: this CPU's ONNX MatMul rate, and each stage's GFLOP/s (FLOPs
 *      counted from the graphs) as a share of it;
 *   4. batch throughput: a 200-line batch of 64 px images against 200 separate jobs submitted
 *      at once, images/s from the server's own timestamps;
 *   6. progressive previews: time to the first partial image and to the completed event of a
 *      streamed 256 px request, as a ratio (bench/previews.ts);
 *   7. state on a database: accepting a job (idle, 20 at once from one key, 100 across 10 keys),
 *      and every AWS request one image makes at 64–512 px, priced beside its Lambda compute
 *      (bench/cost.ts).
 *   8. two tenants: one running batches and hanging webhooks beside one making interactive requests (bench/soak.ts);
 *   9. a model of the AWS hot path: a 128 px synchronous image's predicted p50, warm and cold (bench/aws-model.ts).
 *
 * --quick: fewer repetitions.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { config } from '@baton/config';
import { modelSettings, openCascade } from '@baton/domains/cascade';
import { generateBatch, planJob, planSingleStage, relayStages } from '@baton/pipeline';
import { type Stack, startStack } from '@baton/stack';
import { silent } from '@baton/worker';
import { awsHotPath } from './aws-model.ts';
import { admission, overQuota, requestCost } from './cost.ts';
import { countFlops } from './flops.ts';
import { previewLatency } from './previews.ts';
import { soak } from './soak.ts';
import { printSpans, spansOf } from './trace.ts';

/** The configured model family (BATON_MODEL_DIR …), as every entry point reads it. */
const model = modelSettings(config());

const quick = process.argv.includes('--quick');
const REPS = quick ? 2 : 5;
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const POLL_MS = 50;
const BENCH_KEY = 'bk_bench_0123456789abcdef';
const fmt = (ms: number) => `${ms.toFixed(1).padStart(8)} ms`;

/** Median ms per stage, by "variant:size" (section 1), for section 5. */
const medians: Record<string, Record<string, number>> = {};

async function stageTimes() {
  const cascade = await openCascade(model.dir, model.options);
  await cascade.family.warm();
  console.log(`\n1. Time per stage, in-process (${cascade.manifest.id}, CPU, batch 1, median of ${REPS})`);
  console.log(
    `   ${'size'.padEnd(5)} ${'variant'.padEnd(10)} ${'base'.padStart(11)} ${'relay1'.padStart(11)} ${'relay2'.padStart(11)} ${'decode'.padStart(11)} ${'total'.padStart(11)}`,
  );
  const totals: Record<string, number> = {};
  for (const variant of ['standard', 'distilled'] as const) {
    for (const size of [64, 128, 256, 512]) {
      const runs: Record<string, number[]> = {};
      for (let r = 0; r < REPS; r++) {
        const [g] = await generateBatch(cascade, [
          planJob(cascade, 'a big red circle top left on white', { seed: r, size, variant }),
        ]);
        for (const t of g!.timings) {
          runs[t.stage] ??= [];
          runs[t.stage]!.push(t.ms);
        }
      }
      const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]));
      const total = Object.values(m).reduce((a, b) => a + b, 0);
      totals[`${variant}:${size}`] = total;
      medians[`${variant}:${size}`] = m;
      totals[`${variant}:base`] = m.base!;
      const cell = (k: string) => (m[k] !== undefined ? fmt(m[k]!) : '         —  ');
      console.log(
        `   ${String(size).padEnd(5)} ${variant.padEnd(10)} ${cell('base')} ${cell('relay1')} ${cell('relay2')} ${cell('decode')} ${fmt(total)}`,
      );
    }
  }
  const single: number[] = [];
  const s = cascade.manifest.single_stage;
  if (s) {
    for (let r = 0; r < REPS; r++) {
      const t0 = performance.now();
      await cascade.singleStage([
        planSingleStage(cascade, 'a big red circle top left on white', { seed: r }),
      ]);
      single.push(performance.now() - t0);
    }
    medians.single = { single: median(single) };
    console.log(
      `   single-stage ${s.resolution} px (${s.steps} steps, CFG pair, full noise range, incl. decode): ${fmt(median(single))}`,
    );
  }
  console.log(
    `   base + relay at 128 px vs the base stage alone: ${(totals['standard:128']! / totals['standard:base']!).toFixed(2)}×`,
  );
  if (single.length) {
    console.log(
      `   relay cascade at 128 px vs single-stage 128 px:  ${(totals['standard:128']! / median(single)).toFixed(2)}× the time`,
    );
  }
  console.log(
    `   distilled vs standard at 128 px: ${(totals['distilled:128']! / totals['standard:128']!).toFixed(2)}× the time`,
  );
}

function coldStart() {
  const out = join(mkdtempSync(join(tmpdir(), 'baton-bench-')), 'cold.png');
  const bin = join(import.meta.dirname, '..', 'packages', 'cli', 'bin', 'baton.mjs');
  const times: number[] = [];
  for (let r = 0; r < (quick ? 1 : 3); r++) {
    const t0 = performance.now();
    execFileSync(process.execPath, [bin, 'generate', 'red circle', '--seed', String(r), '--out', out], {
      stdio: 'ignore',
    });
    times.push(performance.now() - t0);
  }
  console.log(
    `\n2. First image from a cold process (npx baton generate, 128 px standard): ${fmt(median(times))} (median of ${times.length})`,
  );
}

async function stack() {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
  const eventsFile = join(dir, 'events.ndjson');
  const s = await startStack({
    dataDir: join(dir, 's3'),
    eventsFile,
    log: silent,
    workerLogs: 'ignore',
    apiKey: 'bk_bench_0123456789abcdef',
    limits: { ratePerMinute: 100_000, burst: 1000, maxConcurrentJobs: 1000 },
  });
  const headers = { authorization: 'Bearer bk_bench_0123456789abcdef' };
  const api = s.apiUrl;
  const submit = async (seed: number, more: Record<string, string> = {}) => {
    const r = await fetch(`${api}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, ...more },
      body: JSON.stringify({ prompt: 'green triangle at the bottom on black', seed, size: 128 }),
    });
    return ((await r.json()) as { id: string }).id;
  };
  const wait = async (id: string): Promise<any> => {
    for (;;) {
      const j = await (await fetch(`${api}/v1/jobs/${id}`, { headers })).json();
      if (['succeeded', 'failed', 'canceled'].includes(j.status)) return j;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };
  try {
    await wait(await submit(999)); // warm the workers
    if (only === 4) return await batchThroughput(api, headers, quick ? 40 : 200);
    if (only === 6) return await previewLatency(api, headers, REPS);
    if (only === 7) return await requestCost(s, 'bk_bench_0123456789abcdef', eventsFile);
    console.log('\n3. Local stack (real S3 and SQS servers, worker processes), 128 px standard');
    const n1 = quick ? 4 : 16;
    // One job at a time, traced hop by hop (trace.ts): POST /v1/jobs with `Prefer: wait`, which
    // answers once the job has ended (the server's waiter looks when the job should be ending).
    const traces = [];
    const t1 = performance.now();
    for (let i = 0; i < n1; i++) {
      const sentAt = Date.now();
      const id = await submit(i, { prefer: 'wait=60' });
      const spans = await spansOf(s, { id, sentAt, seenAt: Date.now() });
      if (spans) traces.push(spans);
    }
    const perSec1 = n1 / ((performance.now() - t1) / 1000);
    console.log(`   1 job at a time: ${perSec1.toFixed(2)} images/s`);
    printSpans(traces, '128 px job, POST /v1/jobs with Prefer: wait (answered when it has ended)');
    await syncSmall(api, headers, quick ? 4 : 10);
    // Eight clients at a time, each waiting on the server (OpenAI images endpoint, which polls one
    // LIST per job): polling every job's full state from here would load the machine it measures.
    const n8 = quick ? 8 : 32;
    const generate = async (seed: number, tries = 4): Promise<string> => {
      const r = await fetch(`${api}/v1/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({
          prompt: 'green triangle at the bottom on black',
          seed,
          size: '128x128',
          response_format: 'url',
        }),
      });
      // 503 asks for a retry (the local S3 server drops a connection now and then under load).
      if (r.status === 503 && tries > 1) {
        await new Promise((res) => setTimeout(res, 1000 * Number(r.headers.get('retry-after') ?? 1)));
        return generate(seed, tries - 1);
      }
      if (r.status !== 200) throw new Error(`images/generations answered ${r.status}`);
      const url = new URL(((await r.json()) as { data: { url: string }[] }).data[0]!.url);
      return url.pathname.split('/')[3]!;
    };
    // One burst untimed first: a batch of 8 is a shape the model has not run yet (its arenas).
    await Promise.all(Array.from({ length: 8 }, (_, k) => generate(90 + k)));
    const t8 = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < n8; i += 8)
      ids.push(...(await Promise.all(Array.from({ length: 8 }, (_, k) => generate(100 + i + k)))));
    const perSec8 = n8 / ((performance.now() - t8) / 1000);
    const results = await Promise.all(ids.map(wait));
    const batches = results.flatMap((j) => j.stages.map((st: { batch: number }) => st.batch));
    console.log(
      `   8 concurrent jobs: ${perSec8.toFixed(2)} images/s (${(perSec8 / perSec1).toFixed(2)}× one at a time), mean batch ${(batches.reduce((a, b) => a + b, 0) / batches.length).toFixed(1)}`,
    );
    await batchThroughput(api, headers, quick ? 40 : 200);
    await previewLatency(api, headers, REPS);
    await requestCost(s, 'bk_bench_0123456789abcdef', eventsFile);
  } finally {
    await s.close();
  }
}

/**
 * A 64 px synchronous image (POST /v1/images/generations, one at a time): the client's wall time
 * beside the ONNX run() time its job's stages report (GET /v1/jobs/{id}), medians.
 */
async function syncSmall(api: string, headers: Record<string, string>, n: number) {
  const walls: number[] = [];
  const onnx: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await fetch(`${api}/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({
        prompt: 'red circle top left on white',
        seed: 500 + i,
        size: '64x64',
        response_format: 'url',
      }),
    });
    const body = (await r.json()) as { data: { url: string }[] };
    walls.push(performance.now() - t0);
    const id = new URL(body.data[0]!.url).pathname.split('/')[3]!;
    const j = (await (await fetch(`${api}/v1/jobs/${id}`, { headers })).json()) as {
      stages: { onnx_ms: number; batch: number }[];
    };
    onnx.push(j.stages.reduce((a, st) => a + st.onnx_ms / st.batch, 0));
  }
  const [w, o] = [median(walls), median(onnx)];
  console.log(
    `   64 px synchronous image, one at a time: ${fmt(w)} wall, ${fmt(o)} in ONNX run(): +${(w - o).toFixed(0)} ms outside (target ≤ +150 ms; median of ${n})`,
  );
}

/** A stack without workers (nothing else loads the machine), with a bench key and this concurrent-job limit. */
async function acceptOnly<T>(maxConcurrentJobs: number, run: (s: Stack) => Promise<T>): Promise<T> {
  const s = await startStack({
    dataDir: mkdtempSync(join(tmpdir(), 'baton-bench-accept-')),
    log: silent,
    workerLogs: 'ignore',
    workers: false,
    apiKey: BENCH_KEY,
    limits: { ratePerMinute: 100_000, burst: 1000, maxConcurrentJobs },
  });
  try {
    return await run(s);
  } finally {
    await s.close();
  }
}

/** 7, first half: accepting jobs, then racing past a limit of 4. */
async function acceptLatency() {
  await acceptOnly(100_000, async (s) => {
    const keys = [BENCH_KEY];
    for (let i = 1; i < 10; i++) keys.push((await s.keys.create(`bench-${i}`)).key);
    await admission(s, keys);
  });
  await acceptOnly(4, (s) => overQuota(s, BENCH_KEY));
}

/** 4. n separate 64 px jobs at once, then one batch of n lines: images/s, each from server timestamps. */
async function batchThroughput(api: string, headers: Record<string, string>, n: number) {
  const body = (i: number) => ({
    prompt: 'a small red circle top left on white',
    seed: 1000 + i,
    size: '64x64',
  });
  const json = { 'content-type': 'application/json', ...headers };
  // All at once; a 503 or 429 is retried after its Retry-After, as a client would.
  const submit = async (i: number): Promise<string> => {
    for (let attempt = 0; ; attempt++) {
      const r = await fetch(`${api}/v1/jobs`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(body(i)),
      });
      if (r.status === 202) return ((await r.json()) as { id: string }).id;
      if ((r.status !== 503 && r.status !== 429) || attempt >= 30)
        throw new Error(`POST /v1/jobs answered ${r.status}: ${await r.text()}`);
      await new Promise((res) => setTimeout(res, 1000 * Number(r.headers.get('retry-after') ?? 1)));
    }
  };
  const ids = await Promise.all(Array.from({ length: n }, (_, i) => submit(i)));
  // Polled gently (the polling would load the machine it measures); the rate comes from the jobs' own times.
  let states: { created_at: number; finished_at: number; status: string }[] = [];
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    states = [];
    for (let i = 0; i < ids.length; i += 8)
      states.push(
        ...(await Promise.all(
          ids.slice(i, i + 8).map(async (id) => {
            // A read the local S3 server dropped (503) counts as not finished yet.
            const r = await fetch(`${api}/v1/jobs/${id}`, { headers });
            return r.ok ? r.json() : { status: 'unknown' };
          }),
        )),
      );
    if (states.every((s) => ['succeeded', 'failed', 'canceled'].includes(s.status))) break;
  }
  const jobsSeconds =
    Math.max(...states.map((s) => s.finished_at)) - Math.min(...states.map((s) => s.created_at));
  const form = new FormData();
  form.append('purpose', 'batch');
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ custom_id: `l${i}`, method: 'POST', url: '/v1/images/generations', body: body(i) }),
  );
  form.append('file', new Blob([lines.join('\n')]), 'bench.jsonl');
  const file = (await (await fetch(`${api}/v1/files`, { method: 'POST', headers, body: form })).json()) as {
    id: string;
  };
  const created = await fetch(`${api}/v1/batches`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      input_file_id: file.id,
      endpoint: '/v1/images/generations',
      completion_window: '24h',
    }),
  });
  const { id } = (await created.json()) as { id: string };
  let b: {
    status: string;
    created_at: number;
    completed_at: number | null;
    request_counts: { completed: number };
  };
  do {
    await new Promise((r) => setTimeout(r, 1000));
    b = (await (await fetch(`${api}/v1/batches/${id}`, { headers })).json()) as typeof b;
  } while (!['completed', 'failed', 'cancelled', 'expired'].includes(b.status));
  const batchSeconds = (b.completed_at ?? 0) - b.created_at;
  const rate = (k: number, s: number) => `${(k / Math.max(s, 1)).toFixed(2)} images/s`;
  console.log(`\n4. Throughput, ${n} images of 64 px (server timestamps, 1 s resolution)`);
  console.log(`   ${n} separate jobs submitted at once: ${rate(n, jobsSeconds)} (${jobsSeconds} s)`);
  console.log(
    `   one batch of ${n} lines:               ${rate(b.request_counts.completed, batchSeconds)} (${batchSeconds} s, ${b.request_counts.completed} completed; ${(jobsSeconds / Math.max(batchSeconds, 1)).toFixed(2)}× the separate jobs' rate)`,
  );
}

/** 5. Each stage's achieved GFLOP/s (FLOPs counted from the graphs) as a share of this CPU's MatMul rate. */
async function closerToHardware() {
  const cascade = await openCascade(model.dir, model.options);
  const m = cascade.manifest;
  const threads = Number(process.env.BATON_ORT_THREADS ?? 0) || 2;
  const { gflop, peak, matmulN } = await countFlops(mkdtempSync(join(tmpdir(), 'baton-flops-')), threads);
  console.log(
    `\n5. Closer to the hardware: ONNX MatMul ${matmulN}×${matmulN} on ${threads} threads: ${peak.toFixed(1)} GFLOP/s (the ceiling)`,
  );
  console.log(
    `   ${'stage'.padEnd(24)} ${'GFLOP'.padStart(8)} ${'ms'.padStart(9)} ${'GFLOP/s'.padStart(9)} ${'of peak'.padStart(8)}`,
  );
  const s = m.single_stage;
  if (s && medians.single) {
    // The single-stage model as the cascade's stages are counted: text, its steps as CFG pairs, decode.
    const f =
      2 * gflop['text_encoder-64']! +
      s.steps * 2 * gflop[`${s.component}-${s.resolution}`]! +
      gflop[`vae_decoder-${s.resolution}`]!;
    printRow(`single-stage ${s.resolution}`, f, medians.single.single!, peak);
  }
  for (const variant of ['standard', 'distilled'] as const) {
    const v = m.variants[variant]!;
    // Classifier-free guidance runs the pair as one batch of 2 (the distilled students fold it in).
    const pair = variant === 'standard' ? 2 : 1;
    for (const size of [128, 512]) {
      const t = medians[`${variant}:${size}`]!;
      const base =
        2 * gflop['text_encoder-64']! +
        v.base.steps * pair * gflop[`${v.base.component}-${m.base.resolution}`]!;
      const rows: [string, number, number][] = [[`base ${variant}`, base, t.base!]];
      const relays = relayStages(m, size);
      const relay = v.relay!;
      for (let k = 1; k <= relays; k++) {
        const side = m.base.resolution * 2 ** k;
        const f =
          gflop[`vae_decoder-${side / 2}`]! +
          gflop[`vae_encoder-${side}`]! +
          relay.steps * pair * gflop[`${relay.component}-${side}`]!;
        rows.push([`relay${k} ${variant} → ${side}`, f, t[`relay${k}`]!]);
      }
      rows.push([`decode ${variant} ${size}`, gflop[`vae_decoder-${size}`]!, t.decode!]);
      // As a worker serves them: eight jobs per model call (the stage queues' batch size).
      if (variant === 'standard' && size === 128) {
        const jobs = Array.from({ length: 8 }, (_, i) =>
          planJob(cascade, 'a big red circle top left on white', { seed: 50 + i, size }),
        );
        await generateBatch(cascade, jobs);
        const runs = await generateBatch(cascade, jobs);
        for (const timing of runs[0]!.timings) {
          const one = rows.find(([n]) => n.startsWith(`${timing.stage} `));
          if (one) rows.push([`${one[0]} ×8`, one[1] * 8, timing.ms]);
        }
      }
      for (const [name, f, ms] of rows) printRow(name, f, ms, peak);
    }
  }
}

/** One stage's GFLOP, time, GFLOP/s and share of the MatMul ceiling. */
function printRow(name: string, gflop: number, ms: number, peak: number) {
  const rate = gflop / (ms / 1000);
  console.log(
    `   ${name.padEnd(24)} ${gflop.toFixed(2).padStart(8)} ${ms.toFixed(1).padStart(9)} ${rate.toFixed(1).padStart(9)} ${`${((100 * rate) / peak).toFixed(0)} %`.padStart(8)}`,
  );
}

/** --only=N runs section N alone (1, 2, 3, 4, 6, 7, 8 or 9; 5 needs 1's times). */
const only = Number(process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? 0);
if (!only || only === 1) {
  await stageTimes();
  await closerToHardware();
}
if (!only || only === 2) coldStart();
if (!only || only === 7) await acceptLatency();
if (!only || (only >= 3 && only <= 7)) await stack();
if (!only || only === 8) await soak(quick);
// The packaged functions' init as `npm run check:aws` measures it (2026-12-07: API 297 ms, worker 644 ms
// with its stage's model sessions loaded at init).
if (!only || only === 9) await awsHotPath({ initMs: { api: 300, worker: 650 } });
process.exit(0);
