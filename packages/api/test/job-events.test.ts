/**
 * GET /v1/jobs/{id}/events resumes: each event's id is the job state's place in its progress,
 * a stream ends (after `retry:`) at its deadline, and a client reconnecting with Last-Event-ID
 * gets every later state once. The job is driven through its stages by hand; the deadline is
 * reached by moving an injected clock, never by waiting.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBlobStore } from '@baton/aws';
import { JobStore } from '@baton/jobs';
import { DEFAULT_MODEL_DIR } from '@baton/pipeline';
import { loadManifest } from '@baton/runtime';
import { shapesExpander } from '@baton/service';
import { createApp } from '../src/index.ts';
import { compareProgress } from '../src/routes/job-events.ts';

interface Sse {
  event?: string;
  id?: string;
  data?: string;
  retry?: string;
}

/** Reads one connection to its end, calling `onEvent` after each event (it may move the job on). */
async function readConnection(res: Response, onEvent: (e: Sse) => Promise<void>) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const seen: Sse[] = [];
  let buffer = '';
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    buffer += decoder.decode(r.value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const e: Sse = {};
      for (const line of block.split('\n')) {
        const [field, ...rest] = line.split(': ');
        if (field === 'event' || field === 'id' || field === 'data' || field === 'retry')
          e[field] = rest.join(': ');
        else if (line.startsWith('retry:')) e.retry = line.slice(6).trim();
      }
      if (e.event || e.retry) {
        seen.push(e);
        if (e.event) await onEvent(e);
      }
      end = buffer.indexOf('\n\n');
    }
  }
  return seen;
}

/** The API on an in-memory store, no workers, streams ending 3 s (on `clock`) after they open. */
async function appAt(clock: { t: number }) {
  const jobs = new JobStore(new MemoryBlobStore(), undefined, () => clock.t);
  const app = createApp({
    jobs,
    manifest: await loadManifest(process.env.BATON_MODEL_DIR ?? DEFAULT_MODEL_DIR),
    expander: shapesExpander,
    enqueue: async () => {},
    config: { pollMs: 5, streamMaxSeconds: 3 },
    now: () => clock.t,
  });
  return { jobs, app };
}

test('a client reconnecting with Last-Event-ID gets every later state once, in order, over several connections; after the end, 204', {
  timeout: 30_000,
}, async () => {
  const clock = { t: 1_000_000 };
  const { jobs, app } = await appAt(clock);
  const r = await app.request('/v1/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'red circle', seed: 3, size: '256x256' }),
  });
  const id = ((await r.json()) as { id: string }).id;
  const request = (await jobs.request(id))!;
  // The job's life, one change at a time: each stage starts, steps twice, and is done.
  const changes: (() => Promise<unknown>)[] = request.stages.flatMap((stage) => [
    () => jobs.start(request, stage),
    () => jobs.setProgress(id, stage, 1, 2),
    () => jobs.setProgress(id, stage, 2, 2),
    () => jobs.append(id, 'done', stage, { ms: 1, steps: 2, batch: 1 }),
  ]);
  const received: Sse[] = [];
  const connections: Sse[][] = [];
  let lastId: string | undefined;
  while (connections.length < 50) {
    const res = await app.request(`/v1/jobs/${id}/events`, {
      headers: lastId ? { 'last-event-id': lastId } : {},
    });
    if (res.status === 204) break;
    assert.equal(res.status, 200);
    let onThis = 0;
    const seen = await readConnection(res, async (e) => {
      received.push(e);
      lastId = e.id;
      onThis++;
      // Two changes land, then the clock passes this connection's deadline (3 s).
      await changes.shift()?.();
      if (onThis === 2) clock.t += 3_001;
    });
    connections.push(seen);
  }
  assert.ok(connections.length >= 3, `${connections.length} connections`);
  // Every connection but the last ended at its deadline with a retry: hint.
  for (const c of connections.slice(0, -1)) assert.equal(c.at(-1)?.retry, '250', JSON.stringify(c));
  assert.equal(received.at(-1)?.event, 'succeeded');
  assert.equal(JSON.parse(received.at(-1)!.data!).status, 'succeeded');
  // Once each, in order: the ids only grow (no state sent twice across reconnects).
  const ids = received.map((e) => e.id!);
  for (let i = 1; i < ids.length; i++) assert.ok(compareProgress(ids[i]!, ids[i - 1]!) > 0, ids.join(' '));
  // Every change of the job's progress was seen: queued, then each stage's start, 2 steps, done.
  assert.equal(ids.length, 1 + request.stages.length * 4, ids.join(' '));
  // A reconnect after the end: 204, nothing more.
  const after = await app.request(`/v1/jobs/${id}/events`, { headers: { 'last-event-id': lastId! } });
  assert.equal(after.status, 204);
  // An id this stream never sent: 400 naming the header.
  const bad = await app.request(`/v1/jobs/${id}/events`, { headers: { 'last-event-id': 'x; drop' } });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { error: { param: string } }).error.param, 'Last-Event-ID');
});

test('an image stream (a POST, not resumable) still running at its deadline ends with a stream_timeout error naming its job', {
  timeout: 30_000,
}, async () => {
  const clock = { t: 1_000_000 };
  const { jobs, app } = await appAt(clock);
  // No worker: the job stays queued while the clock passes the deadline.
  const res = await app.request('/v1/images/generations', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'red circle', stream: true }),
  });
  assert.equal(res.status, 200);
  clock.t += 3_001;
  const text = await res.text();
  const data = JSON.parse(/event: error\ndata: (.*)/.exec(text)![1]!);
  assert.equal(data.error.code, 'stream_timeout');
  assert.match(data.job_id, /^job_/);
  assert.match(data.error.message, new RegExp(`/v1/jobs/${data.job_id}/events`));
  assert.equal((await jobs.state(data.job_id))?.status, 'queued', 'the job goes on');
});
