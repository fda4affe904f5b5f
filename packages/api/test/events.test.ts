/** The job event stream, on the in-memory store: events as the job changes, comments while it is quiet. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBlobStore } from '@baton/aws';
import { JobStore } from '@baton/jobs';
import { DEFAULT_MODEL_DIR } from '@baton/pipeline';
import { loadManifest } from '@baton/runtime/manifest';
import { shapesExpander } from '@baton/service';
import { createApp } from '../src/index.ts';

test('a quiet event stream gets keep-alive comments, then ends with the terminal state', async () => {
  const app = createApp({
    jobs: new JobStore(new MemoryBlobStore()),
    manifest: await loadManifest(DEFAULT_MODEL_DIR),
    expander: shapesExpander,
    enqueue: async () => {},
    config: { pollMs: 5, sseKeepAliveMs: 20 },
  });
  const r = await app.request('/v1/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'dot', seed: 1 }),
  });
  const id = ((await r.json()) as { id: string }).id;
  const reader = (await app.request(`/v1/jobs/${id}/events`)).body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  // Nothing happens to the queued job: only comments arrive after its first event.
  while (!text.includes(': keep-alive')) text += decoder.decode((await reader.read()).value);
  assert.match(text, /^event: progress\n/);
  await app.request(`/v1/jobs/${id}/cancel`, { method: 'POST' });
  for (let c = await reader.read(); !c.done; c = await reader.read()) text += decoder.decode(c.value);
  assert.match(text, /event: canceled\n/);
});
