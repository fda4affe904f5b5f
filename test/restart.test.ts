/**
 * Restart safety: the local stack killed at a random moment (workers SIGKILLed mid-stage,
 * the SQS server's in-memory queues lost) and started again on the same data: every job
 * it had accepted completes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodePng } from '@baton/shapes';
import { auth, getJob, post, stack, until } from './helpers.ts';

test('killed mid-job and started again on the same data: every accepted job and batch completes, every change published once', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-restart-'));
  const eventsFile = join(mkdtempSync(join(tmpdir(), 'baton-restart-events-')), 'events.ndjson');
  const first = await stack({ dataDir, eventsFile });
  const ids: string[] = [];
  let batchId = '';
  try {
    // A batch in flight too: its next look and its lines' messages die with the queues.
    const lines = [1, 2, 3].map((i) =>
      JSON.stringify({
        custom_id: `l${i}`,
        method: 'POST',
        url: '/v1/images/generations',
        body: { prompt: 'a red circle', size: '64x64', seed: i },
      }),
    );
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new File([lines.join('\n')], 'in.jsonl'));
    const file = await (
      await fetch(`${first.apiUrl}/v1/files`, { method: 'POST', headers: auth, body: form })
    ).json();
    const b = await post(`${first.apiUrl}/v1/batches`, {
      input_file_id: file.id,
      endpoint: '/v1/images/generations',
      completion_window: '24h',
    });
    assert.equal(b.status, 200, JSON.stringify(b.body));
    batchId = b.body.id;
    for (let i = 0; i < 3; i++) {
      const r = await post(`${first.apiUrl}/v1/jobs`, {
        prompt: 'orange triangle',
        size: i === 2 ? '256x256' : '128x128',
        seed: 20 + i,
        steps_base: 100,
      });
      assert.equal(r.status, 202);
      ids.push(r.body.id as string);
    }
    // Some work is under way, none of it finished.
    await until(async () => (await getJob(first.apiUrl, ids[0]!)).progress?.step >= 1, 60_000, 'progress');
  } finally {
    await first.close({ kill: true });
  }

  const second = await stack({ dataDir, eventsFile });
  try {
    for (const id of ids) {
      const j = await until(
        async () => {
          const x = await getJob(second.apiUrl, id);
          return ['succeeded', 'failed', 'canceled'].includes(x.status) ? x : null;
        },
        120_000,
        `job ${id} after the restart`,
      );
      assert.equal(j.status, 'succeeded', JSON.stringify(j.error));
      const png = new Uint8Array(await (await fetch(j.result.image_url)).arrayBuffer());
      assert.equal(decodePng(png).width, Number(j.size.split('x')[0]));
    }
    const done = await until(
      async () => {
        const r = await fetch(`${second.apiUrl}/v1/batches/${batchId}`, { headers: auth });
        const x = await r.json();
        return x.status === 'completed' ? x : null;
      },
      60_000,
      'the batch after the restart',
    );
    assert.deepEqual(done.request_counts, { total: 3, completed: 3, failed: 0 });
    // Every change reached the bus, once: those published before the kill, and those whose
    // messages died with the queues (sent again from their pending markers).
    const changes = () =>
      readFileSync(eventsFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((e) => `${e.detail.id} ${e['detail-type']}`);
    const expected = [...ids.map((id) => `${id} Job Succeeded`), `${batchId} Batch Completed`];
    await until(async () => expected.every((x) => changes().includes(x)), 60_000, 'every change published');
    assert.equal(new Set(changes()).size, changes().length, 'no change published twice');
  } finally {
    await second.close();
  }
});
