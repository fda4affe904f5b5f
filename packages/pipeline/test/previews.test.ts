import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_MODEL_DIR,
  generateBatch,
  loadCascade,
  planJob,
  previewHooks,
  previewPlan,
  type RgbImage,
  stagesOf,
} from '../src/index.ts';

test('the preview plan: stage boundaries first, then x₀ of the last sampling stage at evenly spaced steps', () => {
  assert.deepEqual(previewPlan(['base', 'relay1', 'relay2', 'decode'], 2, 10), [
    { index: 0, label: 'base' },
    { index: 1, label: 'relay1' },
  ]);
  assert.deepEqual(previewPlan(['base', 'relay1', 'decode'], 3, 10), [
    { index: 0, label: 'base' },
    { index: 1, label: 'relay1@3' },
    { index: 2, label: 'relay1@7' },
  ]);
  assert.deepEqual(previewPlan(['base', 'decode'], 1, 32), [{ index: 0, label: 'base@16' }]);
  assert.deepEqual(previewPlan(['base', 'relay1', 'decode'], 0, 10), []);
  // Few steps: distinct steps only, never the last (that is the stage's own output).
  assert.deepEqual(
    previewPlan(['base', 'relay1', 'decode'], 3, 2).map((s) => s.label),
    ['base', 'relay1@1'],
  );
});

test('previews come as the stages run, at their own resolution; the final image is the same with or without them', async () => {
  const cascade = await loadCascade(DEFAULT_MODEL_DIR, undefined, { log: () => {} });
  const plain = planJob(cascade, 'a big red circle top left on white', {
    seed: 3,
    size: 128,
    stepsBase: 4,
    stepsRelay: 4,
  });
  const seen: { index: number; label: string; width: number }[] = [];
  const [a] = await generateBatch(
    cascade,
    [{ ...plain, previews: 3 }],
    undefined,
    async (_job, slot, image) => {
      seen.push({ ...slot, width: image.width });
    },
  );
  assert.deepEqual(seen, [
    { index: 0, label: 'base', width: 64 },
    { index: 1, label: 'relay1@1', width: 128 },
    { index: 2, label: 'relay1@3', width: 128 },
  ]);
  let calls = 0;
  const [b] = await generateBatch(cascade, [plain], undefined, async () => {
    calls++;
  });
  assert.equal(calls, 0, 'a job that asks for no previews gets none');
  assert.deepEqual(a!.encoded, b!.encoded);
});

test("the base's preview is saved by the base stage, before the hand-off, and is the image relay1 decodes from it", async () => {
  const cascade = await loadCascade(DEFAULT_MODEL_DIR, undefined, { log: () => {} });
  const job = {
    ...planJob(cascade, 'a small blue square bottom right on yellow', {
      seed: 5,
      size: 128,
      stepsBase: 4,
      stepsRelay: 2,
    }),
    previews: 1,
  };
  const stages = stagesOf(cascade.manifest, 128);
  const saved: RgbImage[] = [];
  const hooks = previewHooks(cascade, [job], [stages], 'base', async (_i, slot, image) => {
    assert.equal(slot.label, 'base');
    saved.push(image);
  });
  const [z] = await cascade.base([job], hooks);
  assert.equal(saved.length, 1, 'stored when the base stage ends');
  assert.equal(saved[0]!.width, 64);
  // relay1 asks for nothing: the boundary it used to save is already there.
  const relayHooks = previewHooks(cascade, [job], [stages], 'relay1', async () => {
    assert.fail('relay1 saves no second copy of the base preview');
  });
  assert.equal(relayHooks.onInputImages, undefined);
  let input: RgbImage | undefined;
  await cascade.relay([job], [z!], 1, {
    onInputImages: (images) => {
      input = images[0];
    },
  });
  assert.deepEqual(input!.data, saved[0]!.data);
});
