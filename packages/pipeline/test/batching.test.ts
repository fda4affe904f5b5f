/** Same seed, same bytes: a job's image does not depend on which jobs share its batch. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MODEL_DIR, generateBatch, loadCascade, planJob } from '../src/index.ts';

test('an image is byte-identical alone and inside a batch of 4, at 256 px, both variants', async () => {
  const cascade = await loadCascade(DEFAULT_MODEL_DIR);
  for (const variant of ['standard', 'distilled'] as const) {
    const options = { size: 256, variant, stepsBase: 8, stepsRelay: 4 };
    const [alone] = await generateBatch(cascade, [
      planJob(cascade, 'blue box top left on white', { ...options, seed: 3 }),
    ]);
    const batch = await generateBatch(
      cascade,
      [1, 2, 3, 4].map((seed) => planJob(cascade, 'blue box top left on white', { ...options, seed })),
    );
    assert.equal(Buffer.compare(Buffer.from(alone!.encoded), Buffer.from(batch[2]!.encoded)), 0, variant);
    assert.notEqual(
      Buffer.compare(Buffer.from(batch[0]!.encoded), Buffer.from(batch[1]!.encoded)),
      0,
      'different seeds differ',
    );
  }
});
