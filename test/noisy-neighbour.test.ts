/**
 * One tenant's webhook receiver that never answers must not hold up another tenant: deliveries
 * run from their own queue, never on a stage worker's path, a few at a time per receiver.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Stack } from '@baton/stack';
import { getJob, post, stack, until } from './helpers.ts';

let s: Stack;
let hanging: Server;
let answering: Server;
let received = 0;
const delivered: Array<{ type: string; id: string }> = [];

before(async () => {
  s = await stack();
  // Reads each request and never answers it.
  hanging = createServer((req) => {
    req.resume();
    received++;
  });
  // Answers at once, keeping what it was sent.
  answering = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const e = JSON.parse(body) as { type: string; data: { id: string } };
      delivered.push({ type: e.type, id: e.data.id });
      res.end('ok');
    });
  });
  await Promise.all([hanging, answering].map((h) => new Promise<void>((r) => h.listen(0, '127.0.0.1', r))));
});
after(async () => {
  for (const h of [hanging, answering]) {
    h.closeAllConnections();
    h.close();
  }
  await s?.close();
});

const hookOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

test("while tenant A's webhook deliveries hang on a receiver that never answers, tenant B's jobs run and B's own webhooks arrive", async () => {
  const b = { authorization: `Bearer ${(await s.keys.create('tenant-b')).key}` };
  // Tenant A: jobs whose every event goes to the receiver that never answers.
  const ids: string[] = [];
  // As many as a key may run at once: every one of their events goes nowhere.
  for (let i = 0; i < 16; i++) {
    const r = await post(`${s.apiUrl}/v1/jobs`, {
      prompt: 'red circle',
      size: '64x64',
      seed: i,
      steps_base: 4, // the deliveries are what this is about: little compute
      webhook: { url: hookOf(hanging), events: ['started', 'progress', 'completed'] },
    });
    assert.equal(r.status, 202);
    ids.push(r.body.id);
  }
  await until(async () => received >= 4, 30_000, "A's deliveries to be under way");
  // B, while A's deliveries hang: a synchronous image, and a job whose webhook answers.
  const image = await post(
    `${s.apiUrl}/v1/images/generations`,
    { prompt: 'green dot', size: '64x64', seed: 3 },
    b,
  );
  assert.equal(image.status, 200, JSON.stringify(image.body));
  const job = await post(
    `${s.apiUrl}/v1/jobs`,
    {
      prompt: 'blue box',
      size: '64x64',
      seed: 5,
      webhook: { url: hookOf(answering), events: ['completed'] },
    },
    b,
  );
  assert.equal(job.status, 202);
  await until(
    async () => delivered.some((d) => d.id === job.body.id && d.type === 'job.completed'),
    60_000,
    "B's completed webhook",
  );
  // A's jobs ran too; their deliveries are still hanging, not failed over into B's.
  const a = await Promise.all(ids.map((id) => getJob(s.apiUrl, id)));
  assert.ok(
    a.every((j) => ['running', 'succeeded'].includes(j.status)),
    JSON.stringify(a.map((j) => j.status)),
  );
  assert.ok(!delivered.some((d) => ids.includes(d.id)), "none of A's events reached B's receiver");
});
