/** The events outbox: a change is in the table before it is on the queue; the sweep sends what was lost. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStateTable } from '@baton/aws';
import { type EventMessage, eventMarker, outboxEmit, sweepEvents } from '../src/index.ts';

const change = (id: string, at: number): EventMessage => ({
  v: 1,
  kind: 'job',
  id,
  type: 'Job Succeeded',
  at,
});

test('a change whose message was lost is sent again by the sweep, once it is stale; a published one never', async () => {
  let t = Date.now();
  const now = () => t;
  const table = new MemoryStateTable(now);
  const sent: string[] = [];
  let queueUp = false;
  const send = async (m: EventMessage) => {
    if (!queueUp) throw new Error('the queue is gone');
    sent.push(m.id);
  };
  const emit = outboxEmit(table, send, 30, now);
  // The queue is down: the change is recorded, its message lost.
  await assert.rejects(emit(change('job_aaaaaaaaaaaaaaaa', t)), /the queue is gone/);
  queueUp = true;
  await emit(change('job_bbbbbbbbbbbbbbbb', t));
  assert.deepEqual(sent, ['job_bbbbbbbbbbbbbbbb']);
  const sweep = () => sweepEvents(table, send, { staleMs: 10_000, claimStaleMs: 120_000, now });
  assert.equal(await sweep(), 0, 'not stale yet: its message may still be on its way');
  t += 10_000;
  // The publisher took b's change: published, out of the pending index.
  await table.update(eventMarker(change('job_bbbbbbbbbbbbbbbb', 0)), {
    set: { state: 'published' },
    remove: ['apk', 'ask'],
  });
  assert.equal(await sweep(), 1);
  assert.deepEqual(sent, ['job_bbbbbbbbbbbbbbbb', 'job_aaaaaaaaaaaaaaaa']);
  // Announced again (a redelivered stage): the marker is kept, the message goes (the publisher drops the copy).
  await emit(change('job_aaaaaaaaaaaaaaaa', t));
  assert.equal((await table.get(eventMarker(change('job_aaaaaaaaaaaaaaaa', 0))))?.state, 'pending');
});

test('a claim whose publisher died is sent again only once the claim is stale', async () => {
  let t = Date.now();
  const now = () => t;
  const table = new MemoryStateTable(now);
  const sent: string[] = [];
  const send = async (m: EventMessage) => void sent.push(m.id);
  await outboxEmit(table, send, 30, now)(change('job_cccccccccccccccc', t));
  await table.update(eventMarker(change('job_cccccccccccccccc', 0)), { set: { state: 'publishing', at: t } });
  const sweep = () => sweepEvents(table, send, { staleMs: 0, claimStaleMs: 120_000, now });
  assert.equal(await sweep(), 0);
  t += 120_000;
  assert.equal(await sweep(), 1);
});
