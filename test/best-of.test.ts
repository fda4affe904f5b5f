/** Best of N: candidates drawn together, scored by the domain's own measure (or a family's scorer model), the best finished. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PortableNoise } from '@baton/diffusion';
import { openCascade } from '@baton/domains/cascade';
import {
  type Cascade,
  drawsOf,
  generateBatch,
  meanProbability,
  plainDomain,
  planJob,
  scoreImages,
  scoreWithModel,
  scoringStage,
} from '@baton/pipeline';
import type { Domain } from '@baton/pipeline/domain';
import { caption, render, sampleScene, shapesDomain } from '@baton/shapes';

test("best of 4 at 256 px: the job's own base draw and three drafts (the distilled base), each relayed, scored at 128 px, the best finished; its image is the one its seeds and base give alone", {
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
  const bases = drawsOf(m, spec, 'base').map((d) => d.spec);
  assert.deepEqual(
    bases.map((d) => [d.seed, d.variant, d.stepsBase]),
    [
      [11, 'standard', 12],
      [12, 'distilled', 4],
      [13, 'distilled', 4],
      [14, 'distilled', 4],
    ],
    "the job's own base (its steps as asked), then drafts with the distilled base's own",
  );
  assert.deepEqual(
    drawsOf(m, spec, 'relay1').map((d) => [d.from, d.spec.variant, d.spec.stepsRelay]),
    [0, 1, 2, 3].map((i) => [i, 'standard', 4]),
    "each candidate continues its own base draw with the job's relay",
  );
  assert.equal(drawsOf(m, spec, 'relay2').length, 1, 'only the kept one goes on');
  const [best] = await generateBatch(cascade, [spec]);
  const { candidates, kept } = best!.scored!;
  assert.deepEqual(
    candidates.map((c) => [c.seed, c.relaySeed, c.draft]),
    [
      [11, 11, false],
      [12, 12, true],
      [13, 13, true],
      [14, 14, true],
    ],
  );
  for (const c of candidates) assert.ok(c.score >= 0 && c.score <= 1);
  assert.equal(candidates[kept]!.score, Math.max(...candidates.map((c) => c.score)), 'the best kept');
  // Each candidate is what its base draw and relay seed make on their own: drawn again one by
  // one, the scorer gives each the score the job recorded, and the kept one finished alone at
  // 256 px gives the job's bytes.
  const { bestOf: _, ...plain } = spec;
  const alone = (i: number) => ({ ...plain, seed: 11 + i, relaySeed: 11 + i });
  const relayed = await Promise.all(
    bases.map(async (b, i) => (await cascade.relay([alone(i)], await cascade.base([b]), 1))[0]!),
  );
  const images = await cascade.decode(relayed);
  const again = await scoreImages(
    cascade,
    images,
    images.map(() => spec.caption),
  );
  assert.deepEqual(
    again,
    candidates.map((c) => c.score),
  );
  const finished = await cascade.relay([alone(kept)], [relayed[kept]!], 2);
  const [image] = await cascade.decode(finished);
  assert.deepEqual(cascade.domain.codec.encode(image!), best!.encoded);
  // The shapes domain measures its own images (the judge's measurements, read softly).
  assert.deepEqual(
    again,
    images.map((img) => shapesDomain.score!(img, spec.caption)),
  );
  // A domain without its own measure is scored by the family's scorer model, the plug-in point.
  const modelScored = withDomain(cascade, { ...shapesDomain, score: undefined });
  assert.deepEqual(
    await scoreImages(
      modelScored,
      images,
      images.map(() => spec.caption),
    ),
    await scoreWithModel(
      cascade,
      images,
      images.map(() => spec.caption),
    ),
  );
  // A family whose domain reads no captions and has no score cannot do best_of: the field is named.
  await assert.rejects(generateBatch(withDomain(cascade, plainDomain), [spec]), /best_of/);
  assert.throws(() => planJob(cascade, 'red circle', { bestOf: 9 }), /best_of/);
});

/** The cascade with another domain (same family and sessions). */
function withDomain(cascade: Cascade, domain: Domain): Cascade {
  return Object.assign(Object.create(Object.getPrototypeOf(cascade)), cascade, { domain });
}

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
  const scores = await scoreWithModel(cascade, images, captions);
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
