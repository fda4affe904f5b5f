/**
 * Section 8: a soak with two tenants on one local stack (loopback only, a few minutes). Tenant A
 * runs two batches of 64 px images and 16 jobs whose webhook receiver never answers; tenant B
 * makes synchronous 64 px images. Printed: B's p50/p99 alone and beside A, A's batch throughput,
 * and the most unfinished jobs A held at once (its limits: BATON_MAX_CONCURRENT_JOBS for its jobs,
 * BATON_BATCH_IN_FLIGHT for its batch lines).
 */

import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { config } from '@baton/config';
import { startStack } from '@baton/stack';
import { silent } from '@baton/worker';

const pct = (xs: number[], p: number) =>
  xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

export async function soak(quick: boolean): Promise<void> {
  console.log(
    '\n8. Soak: tenant A (two batches, 16 jobs with a receiver that never answers) beside tenant B',
  );
  const s = await startStack({
    dataDir: join(mkdtempSync(join(tmpdir(), 'baton-soak-')), 's3'),
    log: silent,
    workerLogs: 'ignore',
    limits: { ratePerMinute: 100_000, burst: 1000, maxConcurrentJobs: 16 },
    webhookAllowedHosts: ['127.0.0.1'],
  });
  const hanging = createServer((req) => req.resume());
  // B's receiver answers at once and notes when each delivery arrived.
  const arrived = new Map<string, number>();
  const answering = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      arrived.set((JSON.parse(body) as { data: { id: string } }).data.id, Date.now());
      res.end();
    });
  });
  for (const srv of [hanging, answering]) await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const a = { authorization: `Bearer ${(await s.keys.create('tenant-a')).key}` };
    const b = { authorization: `Bearer ${(await s.keys.create('tenant-b')).key}` };
    const post = (path: string, body: unknown, h: Record<string, string>) =>
      fetch(`${s.apiUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...h },
        body: JSON.stringify(body),
      });
    const image = async (seed: number) => {
      const t0 = performance.now();
      const r = await post('/v1/images/generations', { prompt: 'a green dot', size: '64x64', seed }, b);
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`B's image answered ${r.status}`);
      return performance.now() - t0;
    };
    const n = quick ? 5 : 9;
    await image(0); // warm
    const alone: number[] = [];
    for (let i = 0; i < n; i++) alone.push(await image(i + 1));
    // Tenant A: two batches and 16 jobs whose every event goes nowhere.
    const lines = quick ? 40 : 200;
    const batches: string[] = [];
    for (const tag of ['x', 'y']) {
      const form = new FormData();
      form.append('purpose', 'batch');
      const text = Array.from({ length: lines }, (_, i) =>
        JSON.stringify({
          custom_id: `${tag}${i}`,
          method: 'POST',
          url: '/v1/images/generations',
          body: { prompt: 'a red circle', size: '64x64', seed: i },
        }),
      ).join('\n');
      form.append('file', new File([text], `${tag}.jsonl`));
      const f = (await (
        await fetch(`${s.apiUrl}/v1/files`, { method: 'POST', headers: a, body: form })
      ).json()) as {
        id: string;
      };
      const body = { input_file_id: f.id, endpoint: '/v1/images/generations', completion_window: '24h' };
      batches.push(((await (await post('/v1/batches', body, a)).json()) as { id: string }).id);
    }
    const hook = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`;
    for (let i = 0; i < 16; i++)
      await post(
        '/v1/jobs',
        {
          prompt: 'a blue square',
          size: '64x64',
          seed: i,
          webhook: { url: hook, events: ['started', 'progress', 'completed'] },
        },
        a,
      );
    const t0 = performance.now();
    let peak = 0;
    let done = false;
    const watch = (async () => {
      while (!done) {
        peak = Math.max(peak, (await s.jobs.activeIds()).length);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const beside: number[] = [];
    for (let i = 0; i < n; i++) beside.push(await image(100 + i));
    // B's own webhook while A's hang: from B's job finishing to its `completed` arriving.
    const bHook = `http://127.0.0.1:${(answering.address() as AddressInfo).port}/hook`;
    const bJob = (await (
      await post(
        '/v1/jobs',
        { prompt: 'a green dot', size: '64x64', seed: 7, webhook: { url: bHook, events: ['completed'] } },
        b,
      )
    ).json()) as { id: string };
    while (!arrived.has(bJob.id)) await new Promise((r) => setTimeout(r, 100));
    const finishedAt = (await s.jobs.state(bJob.id))?.finishedAt ?? 0;
    const webhookMs = arrived.get(bJob.id)! - finishedAt;
    const finished = async () => {
      const states = await Promise.all(
        batches.map(
          async (id) =>
            (
              (await (await fetch(`${s.apiUrl}/v1/batches/${id}`, { headers: a })).json()) as {
                status: string;
              }
            ).status,
        ),
      );
      return states.every((x) => x === 'completed');
    };
    while (!(await finished())) await new Promise((r) => setTimeout(r, 500));
    const seconds = (performance.now() - t0) / 1000;
    done = true;
    await watch;
    const ms = (x: number) => `${x.toFixed(0).padStart(6)} ms`;
    console.log(
      `   B's 64 px image alone:      p50 ${ms(pct(alone, 0.5))}  p99 ${ms(pct(alone, 0.99))}  (${n} requests)`,
    );
    console.log(`   B's 64 px image beside A:   p50 ${ms(pct(beside, 0.5))}  p99 ${ms(pct(beside, 0.99))}`);
    console.log(
      `   A's batches: ${2 * lines} lines in ${seconds.toFixed(1)} s = ${((2 * lines) / seconds).toFixed(2)} images/s`,
    );
    console.log(`   B's completed webhook, while A's 16 hang: ${ms(webhookMs)} after B's job finished`);
    const inFlight = config().BATON_BATCH_IN_FLIGHT;
    console.log(
      `   unfinished jobs at most (both tenants): ${peak} (A's limits: 16 jobs + ${inFlight} batch lines)`,
    );
  } finally {
    for (const srv of [hanging, answering]) {
      srv.closeAllConnections();
      srv.close();
    }
    await s.close();
  }
}
