/**
 * Pay-per-use behaviour on the running stack: signed webhooks with a retry, billing once
 * per stage under redelivery, and a cancelled job billed only for the steps that ran.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Stack } from '@baton/stack';
import { connectWorker } from '@baton/worker';
import { auth, cancelMidStage, drained, getJob, post, stack, until } from './helpers.ts';

let s: Stack;
let receiver: Server;
let hookUrl: string;
const received: { headers: Record<string, string>; body: string; status: number; at: number }[] = [];
let failuresLeft = 1;

before(async () => {
  s = await stack({ workerEnv: { BATON_WEBHOOK_BACKOFF_MS: '200,400,800' } });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const status = failuresLeft-- > 0 ? 500 : 204;
      received.push({ headers: req.headers as Record<string, string>, body, status, at: Date.now() });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
after(async () => {
  receiver?.closeAllConnections();
  receiver?.close();
  await s?.close();
});

const finished = (id: string) =>
  until(
    async () => {
      const j = await getJob(s.apiUrl, id);
      return ['succeeded', 'failed', 'canceled'].includes(j.status) ? j : null;
    },
    90_000,
    `job ${id}`,
  );

/** Standard Webhooks verification, written here from the convention, not from our sender. */
function verify(secret: string, headers: Record<string, string>, body: string): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`)
    .digest('base64');
  return (headers['webhook-signature'] ?? '').split(' ').some((sig) => sig === `v1,${expected}`);
}

test('webhooks: started and completed arrive signed; a failed delivery is retried and logged on the job', async () => {
  const key = (await s.keys.list()).find((k) => k.name === 'local')!;
  const r = await post(`${s.apiUrl}/v1/jobs`, {
    prompt: 'red circle',
    seed: 1,
    size: '64x64',
    webhook: { url: hookUrl, events: ['started', 'completed'] },
  });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const j = await finished(r.body.id);
  assert.equal(j.status, 'succeeded');
  await until(async () => received.filter((x) => x.status === 204).length >= 2, 20_000, 'two deliveries');
  const ok = received.filter((x) => x.status === 204);
  const types = ok.map((x) => JSON.parse(x.body).type).sort();
  assert.deepEqual(types, ['job.completed', 'job.started']);
  for (const x of received) {
    assert.ok(verify(key.webhookSecret, x.headers, x.body), 'signature verifies with the key’s secret');
    assert.ok(Math.abs(Number(x.headers['webhook-timestamp']) - x.at / 1000) < 5, 'timestamped when sent');
    assert.equal(JSON.parse(x.body).data.id, r.body.id);
  }
  assert.ok(!verify('whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', received[0]!.headers, received[0]!.body));
  // The first attempt failed (500) and was retried with the same webhook-id.
  const first = received[0]!;
  assert.equal(first.status, 500);
  assert.ok(
    received
      .slice(1)
      .some((x) => x.headers['webhook-id'] === first.headers['webhook-id'] && x.status === 204),
  );
  const logged = await until(
    async () => {
      const state = await getJob(s.apiUrl, r.body.id);
      return state.webhook?.deliveries.length >= 3 ? state.webhook.deliveries : null;
    },
    10_000,
    `delivery log (${JSON.stringify((await getJob(s.apiUrl, r.body.id)).webhook)})`,
  );
  assert.ok(logged.some((d: { ok: boolean; status: number }) => !d.ok && d.status === 500));
  assert.ok(logged.some((d: { ok: boolean; attempt: number }) => d.ok && d.attempt === 2));
});

test('a redelivered stage is billed once', async () => {
  const r = await post(`${s.apiUrl}/v1/jobs`, { prompt: 'blue box', seed: 2, size: '128x128' });
  const j = await finished(r.body.id);
  assert.equal(j.status, 'succeeded');
  assert.deepEqual(
    j.usage.steps,
    j.stages.reduce((a: number, st: { step: number }) => a + st.step, 0),
  );
  const before = await (await fetch(`${s.apiUrl}/v1/usage`, { headers: auth })).json();
  const { queues } = connectWorker(s.config);
  await queues.base.send({ v: 1, jobId: r.body.id, stage: 'base', correlationId: 'again' });
  await queues.relay.send({ v: 1, jobId: r.body.id, stage: 'relay1', correlationId: 'again' });
  await drained(s.config);
  const afterUsage = await (await fetch(`${s.apiUrl}/v1/usage`, { headers: auth })).json();
  assert.deepEqual(afterUsage, before);
  const again = await getJob(s.apiUrl, r.body.id);
  assert.deepEqual(again.usage, j.usage);
  assert.ok(j.usage.cost_usd > 0 && j.usage.compute_ms > 0);
  const today = new Date().toISOString().slice(0, 10);
  const day = afterUsage.data.find((d: { date: string }) => d.date === today);
  assert.ok(day.jobs >= 2 && day.cost_usd > 0);
});

test('a cancelled job is billed only for the steps that ran', async () => {
  // 200 steps in every stage, and the cancel lands while a relay stage is held part-way.
  const submit = async () =>
    (
      await post(`${s.apiUrl}/v1/jobs`, {
        prompt: 'green dot',
        seed: 4,
        size: '256x256',
        steps_base: 200,
        steps_relay: 200,
      })
    ).body.id as string;
  const { id, cancel: c, stopped: partial, jobs } = await cancelMidStage(s, submit);
  assert.equal(c.status, 200, JSON.stringify(c.body));
  assert.equal(c.body.status, 'canceled');
  assert.ok(partial.steps >= 2 && partial.steps < 200, `${partial.stage} billed ${partial.steps} steps`);
  const j = await getJob(s.apiUrl, id);
  assert.equal(j.status, 'canceled');
  // Whole stages before the cancelled one, and the cancelled one to its step: never the rest.
  const usage = await jobs.usage(id);
  const order = ['base', 'relay1', 'relay2', 'decode'];
  for (const u of usage)
    assert.ok(order.indexOf(u.stage) <= order.indexOf(partial.stage), `${u.stage} billed`);
  assert.equal(
    j.usage.steps,
    usage.reduce((a, u) => a + u.steps, 0),
  );
  assert.ok(j.usage.steps < 600, `billed ${j.usage.steps} steps`);
});
