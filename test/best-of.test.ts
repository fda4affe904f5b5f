/** Best of N: candidates drawn together, scored by the domain's judge, the best finished at the size asked. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openCascade } from '@baton/domains/cascade';
import { generateBatch, generateBestOf, plainDomain, planJob } from '@baton/pipeline';

test('best of 3 at 256 px: three 128 px candidates scored, the best one finished at 256 px, the same image its seed gives alone', {
  timeout: 120_000,
}, async () => {
  const cascade = await openCascade();
  const spec = planJob(
    cascade,
    'a small green triangle top left and a big blue circle bottom right on white',
    {
      seed: 11,
      size: 256,
      stepsBase: 12,
      stepsRelay: 4,
    },
  );
  const [best] = await generateBestOf(cascade, [spec], 3);
  assert.deepEqual(
    best!.candidates.map((c) => c.seed),
    [11, 12, 13],
  );
  for (const c of best!.candidates) assert.ok(c.score >= 0 && c.score <= 1);
  const top = Math.max(...best!.candidates.map((c) => c.score));
  assert.equal(best!.candidates.find((c) => c.seed === best!.kept)!.score, top, 'the best kept');
  assert.equal(best!.result.spec.size, 256);
  assert.equal(best!.result.spec.seed, best!.kept);
  // The kept image is the one its seed makes at 256 px on its own (the caption held fixed).
  const [alone] = await generateBatch(cascade, [{ ...spec, seed: best!.kept }]);
  assert.deepEqual(best!.result.encoded, alone!.encoded);
  // A domain without a scorer cannot do best_of: a clear error naming the field.
  const plain = Object.assign(Object.create(Object.getPrototypeOf(cascade)), cascade, {
    domain: plainDomain,
  });
  await assert.rejects(generateBestOf(plain, [spec], 2), /best_of/);
});
