/**
 * 7. State on a database: what accepting a job costs in time, and what one image costs in AWS
 * requests, counted from the outside (at the local S3, SQS and DynamoDB servers, whoever sent
 * them), priced at AWS list prices (us-east-1, December 2026) beside the Lambda compute of the
 * same image.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Counts, Stack } from '@baton/stack';
import { LAMBDA_3GB_PRICE_PER_SECOND } from '@baton/worker';

/** US dollars per request (DynamoDB: per request unit). */
const PRICE = {
  s3Put: 0.005 / 1000, // PUT, COPY, POST, LIST
  s3Get: 0.0004 / 1000, // GET, HEAD (DELETE is free)
  sqs: 0.4 / 1e6, // any request, 64 KB chunks
  dynamoWrite: 0.625 / 1e6, // on-demand write request unit (1 KB)
  dynamoRead: 0.125 / 1e6, // on-demand read request unit (4 KB strongly consistent)
  events: 1.0 / 1e6, // EventBridge custom events
  lambdaGbSecond: 0.0000166667,
  lambdaRequest: 0.2 / 1e6,
};
const API_GB = 512 / 1024;

const percentile = (xs: number[], p: number) =>
  xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const ms = (x: number) => `${x.toFixed(0).padStart(5)} ms`;

/**
 * Accepting jobs (POST /v1/jobs, 64 px) on a stack without workers, from a client in its own
 * process (accept-client.ts): idle, 20 at once from one key, 100 at once across 10 keys, then
 * 200 at once past the backlog bound (load shedding).
 */
export async function admission(s: Stack, keys: string[]) {
  const client = fileURLToPath(new URL('./accept-client.ts', import.meta.url));
  // Asynchronously: the API answering it runs on this process's event loop.
  const { stdout: out } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', client, JSON.stringify({ apiUrl: s.apiUrl, keys })],
    { encoding: 'utf8' },
  );
  type Answer = { ms: number; status: number };
  const {
    idle: idleAnswers,
    one,
    many,
    flood,
  } = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, Answer[]>;
  const idle = idleAnswers!.map((a) => a.ms);
  const statuses = (xs: { status: number }[]) => [...new Set(xs.map((x) => x.status))].join(',');
  console.log('\n7. State on a database (DynamoDB; dynalite locally): accepting a job, POST /v1/jobs 64 px');
  console.log(`   idle, 10 one after another:   p50 ${ms(percentile(idle, 50))}  (target ≤ 50 ms)`);
  console.log(
    `   20 at once from one key:      p99 ${ms(
      percentile(
        one!.map((x) => x.ms),
        99,
      ),
    )}  (target ≤ 500 ms)  answers ${statuses(one!)}`,
  );
  console.log(
    `   100 at once across 10 keys:   p99 ${ms(
      percentile(
        many!.map((x) => x.ms),
        99,
      ),
    )}  (target ≤ 1 s)     answers ${statuses(many!)}`,
  );
  const count = (code: number) => flood!.filter((x) => x.status === code).length;
  console.log(
    `   200 at once across 10 keys, past the backlog bound: slowest ${ms(Math.max(...flood!.map((x) => x.ms)))}  (target ≤ 2 s)  ${count(202)} accepted, ${count(503)} refused 503, ${count(429)} refused 429`,
  );
}

/** Requests per second of an idle stack (the local inbox watcher, the sweep, empty receives): left out of an image's count. */
async function idleRate(s: Stack, seconds = 5): Promise<Counts> {
  s.requests.reset();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const counts = await s.requests.snapshot();
  return Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, n / seconds]));
}

/** Waits until the events file holds the job's last event (its state changes are all published). */
async function published(eventsFile: string, id: string, type: string): Promise<void> {
  for (;;) {
    const lines = readFileSync(eventsFile, 'utf8').split('\n');
    if (lines.some((l) => l.includes(id) && l.includes(`"${type}"`))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Index writes a job makes (keys-only indexes are written only when an item enters or leaves
 * one): its entry in byOwner and in active when accepted, its removal from active when it ends.
 */
const INDEX_WRITE_UNITS_PER_JOB = 3;

function price(counts: Counts, eventsPublished: number) {
  let s3 = 0;
  let sqs = 0;
  for (const [name, n] of Object.entries(counts)) {
    const [service, op] = name.split(' ') as [string, string];
    if (service === 's3')
      s3 +=
        n *
        (['GetObject', 'HeadObject'].includes(op) ? PRICE.s3Get : op === 'DeleteObject' ? 0 : PRICE.s3Put);
    else if (service === 'sqs') sqs += n * PRICE.sqs;
  }
  const rru = counts['dynamodb read units'] ?? 0;
  const wru = (counts['dynamodb write units'] ?? 0) + INDEX_WRITE_UNITS_PER_JOB;
  const dynamo = rru * PRICE.dynamoRead + wru * PRICE.dynamoWrite;
  return { s3, sqs, dynamo, rru, wru, events: eventsPublished * PRICE.events };
}

/** One image per size through the synchronous endpoint: every request counted and priced. */
export async function requestCost(s: Stack, key: string, eventsFile: string) {
  console.log(
    '\n   One image through POST /v1/images/generations, AWS requests counted at the servers (idle polling left out)',
  );
  console.log(
    '   size    S3 PUT/LIST  S3 GET  SQS  DynamoDB req R/W  units R/W  events   $/1k requests   $/1k Lambda   requests/compute',
  );
  const eventLines = () => readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean).length;
  const idle = await idleRate(s);
  for (const size of [64, 128, 256, 512]) {
    s.requests.reset();
    const events0 = eventLines();
    const t0 = performance.now();
    const r = await fetch(`${s.apiUrl}/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({
        prompt: 'a big red circle top left on white',
        seed: 7,
        size: `${size}x${size}`,
        response_format: 'url',
      }),
    });
    const apiSeconds = (performance.now() - t0) / 1000;
    const body = (await r.json()) as { data: { url: string }[] };
    const id = new URL(body.data[0]!.url).pathname.split('/')[3]!;
    await published(eventsFile, id, 'Job Succeeded');
    const seconds = (performance.now() - t0) / 1000;
    const { 'sqs ReceiveMessage (empty)': _, ...all } = await s.requests.snapshot();
    // What an idle stack would have asked in the same time is not this image's.
    const counts = Object.fromEntries(
      Object.entries(all)
        .map(([k, n]) => [k, Math.max(0, Math.round(n - (idle[k] ?? 0) * seconds))] as const)
        .filter(([, n]) => n > 0),
    );
    const events = eventLines() - events0;
    const p = price(counts, events);
    const state = (await s.jobs.state(id))!;
    const computeS = state.usage.reduce((a, u) => a + u.computeMs, 0) / 1000;
    const lambda =
      // The stage workers' own price (3008 MB), as their usage records bill it.
      computeS * LAMBDA_3GB_PRICE_PER_SECOND +
      state.usage.length * PRICE.lambdaRequest +
      apiSeconds * API_GB * PRICE.lambdaGbSecond +
      PRICE.lambdaRequest;
    const sum = (pred: (k: string) => boolean) =>
      Object.entries(counts)
        .filter(([k]) => pred(k))
        .reduce((a, [, n]) => a + n, 0);
    const s3Put = sum((k) => k.startsWith('s3 ') && !/GetObject|HeadObject|DeleteObject/.test(k));
    const s3Get = sum((k) => /s3 (GetObject|HeadObject)/.test(k));
    const sqs = sum((k) => k.startsWith('sqs '));
    const dr = sum((k) => /dynamodb (GetItem|Query)$/.test(k));
    const dw = sum((k) => /dynamodb (PutItem|UpdateItem|DeleteItem)$/.test(k));
    const requests = p.s3 + p.sqs + p.dynamo + p.events;
    console.log(
      `   ${String(size).padStart(3)} px  ${String(s3Put).padStart(11)}  ${String(s3Get).padStart(6)}  ${String(sqs).padStart(3)}  ${`${dr}/${dw}`.padStart(16)}  ${`${p.rru.toFixed(1)}/${p.wru}`.padStart(9)}  ${String(events).padStart(6)}   $${(requests * 1000).toFixed(4).padStart(8)}     $${(lambda * 1000).toFixed(4).padStart(8)}   ${(requests / lambda).toFixed(2).padStart(6)}×`,
    );
    if (size === 128) console.log(`          (128 px: ${JSON.stringify(counts)})`);
  }
  console.log('   target: 128 px ≤ $0.06 per 1,000 images in requests (S3, DynamoDB, SQS, EventBridge)');
}

/** 20 racing submits of long (512 px) jobs from one key whose limit is 4 (a stack started with that limit). */
export async function overQuota(s: Stack, key: string) {
  const answers = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const t0 = performance.now();
      const r = await fetch(`${s.apiUrl}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ prompt: 'a red circle', size: '512x512', seed: i }),
      });
      await r.arrayBuffer();
      return { ms: performance.now() - t0, status: r.status, retryAfter: r.headers.get('retry-after') };
    }),
  );
  const by = (st: number) => answers.filter((a) => a.status === st).length;
  const withRetryAfter = answers.filter((a) => a.status === 429 && a.retryAfter).length;
  console.log(
    `   20 racing 512 px jobs, limit 4:  ${by(202)} × 202, ${by(429)} × 429 (${withRetryAfter} with Retry-After), ${answers.length - by(202) - by(429)} other; slowest answer ${ms(Math.max(...answers.map((a) => a.ms)))} (target ≤ 2 s)`,
  );
}
