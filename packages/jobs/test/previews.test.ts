/** Partial images on the job: a small one inline in the job item, a larger one an object. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBlobStore } from '@baton/aws';
import type { JobSpec } from '@baton/pipeline/spec';
import { INLINE_PREVIEW_BYTES, type JobRequest, JobStore, keys } from '../src/index.ts';

const spec: JobSpec = {
  prompt: 'red circle',
  caption: 'a red circle',
  seed: 1,
  size: 256,
  variant: 'standard',
  stepsBase: 32,
  stepsRelay: 10,
  guidanceBase: 4,
  guidanceRelay: 4,
  previews: 2,
};
const request: JobRequest = {
  id: 'job_previewpreview01',
  spec,
  stages: ['base', 'relay1', 'relay2', 'decode'],
  model: 'shapes-v1',
  createdAt: 1000,
  correlationId: 'c',
};

test('a small partial image rides in the job item (its read lists it with its bytes, no object); a larger one is an object; the state lists neither with bytes', async () => {
  const store = new MemoryBlobStore();
  const jobs = new JobStore(store, undefined, () => 2000);
  await jobs.create(request, async () => {});
  const small = new Uint8Array(INLINE_PREVIEW_BYTES).fill(1);
  const large = new Uint8Array(INLINE_PREVIEW_BYTES + 1).fill(2);
  await jobs.putPreview(request.id, 0, 'base', small);
  await jobs.putPreview(request.id, 1, 'relay1', large);
  // A stage run again writes the same partial again: listed once.
  await jobs.putPreview(request.id, 0, 'base', small);
  assert.equal(await store.exists(keys.preview(request.id, 0, 'base')), false, 'no object for the small one');
  assert.equal(await store.exists(keys.preview(request.id, 1, 'relay1')), true);
  const read = (await jobs.job(request.id))!.previews;
  assert.deepEqual(
    read.map((p) => [p.index, p.label, p.png?.length]),
    [
      [0, 'base', INLINE_PREVIEW_BYTES],
      [1, 'relay1', undefined],
    ],
  );
  // Either way, the bytes as written.
  const listed = await jobs.previews(request.id);
  assert.deepEqual(await jobs.preview(request.id, listed[0]!), small);
  assert.deepEqual(await jobs.preview(request.id, listed[1]!), large);
  // The job's state (what the API shows) names them only.
  const state = await jobs.state(request.id);
  assert.deepEqual(
    state?.previews?.map((p) => Object.keys(p).sort()),
    [
      ['index', 'label'],
      ['index', 'label'],
    ],
  );
});
