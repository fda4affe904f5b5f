import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultCascade, generateBatch, planJob, previewPlan } from '../src/index.ts';

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
  const cascade = await defaultCascade(undefined, { log: () => {} });
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
