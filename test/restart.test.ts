/**
 * Restart safety: the local stack killed at a random moment (workers SIGKILLed mid-stage,
 * the SQS server's in-memory queues lost) and started again on the same data: every job
 * it had accepted completes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodePng } from '@baton/shapes';
import { getJob, post, stack, until } from './helpers.ts';

test('killed mid-job and started again on the same data: every accepted job completes', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-restart-'));
  const first = await stack({ dataDir });
  const ids: string[] = [];
  try {
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

  const second = await stack({ dataDir });
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
  } finally {
    await second.close();
  }
});
