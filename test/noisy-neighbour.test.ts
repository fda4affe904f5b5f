/**
 * One tenant's webhook receiver that never answers must not slow another tenant down:
 * deliveries run from their own queue, never on a stage worker's path.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Stack } from '@baton/stack';
import { getJob, post, stack, until } from './helpers.ts';

let s: Stack;
let hanging: Server;
let received = 0;

before(async () => {
  s = await stack();
  // Reads each request and never answers it.
  hanging = createServer((req) => {
    req.resume();
    received++;
  });
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
});
after(async () => {
  hanging.closeAllConnections();
  hanging.close();
  await s?.close();
});

async function timedImage(headers: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const r = await post(
    `${s.apiUrl}/v1/images/generations`,
    { prompt: 'green dot', size: '64x64', seed: 3 },
    headers,
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return performance.now() - t0;
}

test("a receiver that never answers for tenant A leaves tenant B's 64 px request within 2 s of its time without A", async () => {
  const b = { authorization: `Bearer ${(await s.keys.create('tenant-b')).key}` };
  await timedImage(b); // warm
  const alone = Math.min(await timedImage(b), await timedImage(b));
  const hook = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`;
  // Tenant A: jobs whose every event goes to the receiver that never answers.
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await post(`${s.apiUrl}/v1/jobs`, {
      prompt: 'red circle',
      size: '64x64',
      seed: i,
      webhook: { url: hook, events: ['started', 'progress', 'completed'] },
    });
    assert.equal(r.status, 202);
    ids.push(r.body.id);
  }
  // A's jobs are done (their stages no longer share the workers with B) and its deliveries hang.
  await until(
    async () =>
      (await Promise.all(ids.map((id) => getJob(s.apiUrl, id)))).every((j) => j.status === 'succeeded'),
    60_000,
    "A's jobs to finish",
  );
  await until(async () => received >= 4, 30_000, "A's deliveries to be under way");
  const withA = await timedImage(b);
  assert.ok(
    withA <= alone + 2000,
    `B took ${withA.toFixed(0)} ms with A's hanging receiver, ${alone.toFixed(0)} ms without`,
  );
});
