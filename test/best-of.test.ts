/** Best of N: candidates drawn together, scored by the family's scorer model, the best finished. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PortableNoise } from '@baton/diffusion';
import { openCascade } from '@baton/domains/cascade';
import {
  drawsOf,
  generateBatch,
  meanProbability,
  plainDomain,
  planJob,
  scoreImages,
  scoringStage,
} from '@baton/pipeline';
import { caption, render, sampleScene } from '@baton/shapes';

test('best of 4 at 256 px: two base draws relayed twice each, scored at 128 px, the best finished; its image is the one its seeds give alone', {
  timeout: 120_000,
}, async () => {
  const cascade = await openCascade();
  const spec = planJob(
    cascade,
    'a small green triangle top left and a big blue circle bottom right on white',
    { seed: 11, size: 256, stepsBase: 12, stepsRelay: 4, bestOf: 4 },
  );
  const m = cascade.manifest;
  assert.equal(scoringStage(m, 256), 'relay1');
  assert.equal(scoringStage(m, 64), 'base');
  assert.equal(drawsOf(m, spec, 'base').length, 2, 'the candidates share ⌈N/2⌉ base draws');
  assert.equal(drawsOf(m, spec, 'relay1').length, 4);
  assert.equal(drawsOf(m, spec, 'relay2').length, 1, 'only the kept one goes on');
  const [best] = await generateBatch(cascade, [spec]);
  const { candidates, kept } = best!.scored!;
  assert.deepEqual(
    candidates.map((c) => [c.seed, c.relaySeed]),
    [
      [11, 11],
      [11, 12],
      [12, 13],
      [12, 14],
    ],
  );
  for (const c of candidates) assert.ok(c.score >= 0 && c.score <= 1);
  assert.equal(candidates[kept]!.score, Math.max(...candidates.map((c) => c.score)), 'the best kept');
  const base = best!.timings.find((t) => t.stage === 'base')!;
  assert.equal(base.batch, 1, 'one job, its draws in one call');
  // The kept image is the one its seeds make at 256 px on their own.
  const { bestOf: _, ...plain } = spec;
  const k = candidates[kept]!;
  const [alone] = await generateBatch(cascade, [{ ...plain, seed: k.seed, relaySeed: k.relaySeed }]);
  assert.deepEqual(best!.encoded, alone!.encoded);
  // A family whose domain reads no captions and has no score cannot do best_of: the field is named.
  const noScorer = Object.assign(Object.create(Object.getPrototypeOf(cascade)), cascade, {
    domain: plainDomain,
  });
  await assert.rejects(generateBatch(noScorer, [spec]), /best_of/);
  assert.throws(() => planJob(cascade, 'red circle', { bestOf: 9 }), /best_of/);
});

test('the scorer model rates a render of the caption above the same scene with one attribute changed', {
  timeout: 60_000,
}, async () => {
  const cascade = await openCascade();
  assert.ok(cascade.manifest.scorer, 'the default family declares its scorer');
  const rng = new PortableNoise(7, 0x5c0);
  const shapes = ['circle', 'square', 'triangle'] as const;
  const right: number[] = [];
  const wrong: number[] = [];
  const captions: string[] = [];
  const images = [];
  for (let i = 0; i < 24; i++) {
    const scene = sampleScene(rng, i % 2 ? 2 : 1);
    const o = scene.objects[0]!;
    // Each case changes another attribute: the shape, the size or the colour drawn.
    const other =
      i % 3 === 0
        ? { ...o, shape: shapes[(shapes.indexOf(o.shape) + 1) % 3]! }
        : i % 3 === 1
          ? { ...o, size: o.size === 'large' ? ('small' as const) : ('large' as const) }
          : { ...o, colour: scene.background === 'white' ? ('black' as const) : ('white' as const) };
    if (other.colour === scene.objects[1]?.colour) continue;
    captions.push(caption(scene), caption(scene));
    images.push(render(scene, 128), render({ ...scene, objects: [other, ...scene.objects.slice(1)] }, 128));
  }
  const scores = await scoreImages(cascade, images, captions);
  for (let i = 0; i < scores.length; i += 2) {
    right.push(scores[i]!);
    wrong.push(scores[i + 1]!);
  }
  const wins = right.filter((r, i) => r > wrong[i]!).length;
  assert.ok(wins >= right.length - 1, `right above wrong in ${wins} of ${right.length}`);
});

test('a score is the geometric mean of the probabilities of the labels the caption asks', () => {
  const heads = [
    { name: 'a', labels: ['x', 'y'] },
    { name: 'b', labels: ['p', 'q', 'r'] },
  ];
  // Head a: softmax(0, 0) → 0.5 each; head b: softmax(ln 2, 0, 0) → 0.5, 0.25, 0.25.
  const logits = [0, 0, Math.log(2), 0, 0];
  assert.ok(Math.abs(meanProbability(heads, logits, { a: 'x', b: 'p' }) - 0.5) < 1e-9);
  assert.ok(Math.abs(meanProbability(heads, logits, { a: 'y', b: 'q' }) - Math.sqrt(0.5 * 0.25)) < 1e-9);
  // A head the caption does not ask about is left out; a caption that asks nothing scores 0.
  assert.ok(Math.abs(meanProbability(heads, logits, { b: 'r' }) - 0.25) < 1e-9);
  assert.equal(meanProbability(heads, logits, null), 0);
});
