/** best_of's scorer for shapes: the judge's measurements read softly (src/score.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PortableNoise } from '@baton/diffusion';
import fc from 'fast-check';
import {
  caption,
  type Detection,
  judge,
  placeScene,
  render,
  type Scene,
  sampleScene,
  scoreDetection,
  scoreImage,
  shapesDomain,
  withOneWrong,
} from '../src/index.ts';

const scene: Scene = {
  background: 'white',
  objects: [{ size: 'large', colour: 'red', shape: 'square', cell: 'top left' }],
};

/** What the judge would measure of a red square on white: its fill ratio, extent and centroid as given. */
function measured(fill: number, extent = 0.38, centroid: [number, number] = [0.2, 0.2]): Detection {
  return {
    background: 'white',
    objects: [
      { colour: 'red', shape: 'square', size: 'large', cell: 'top left', area: 0, fill, extent, centroid },
    ],
  };
}

test('a render of its caption scores near 1; the same scene with any one attribute changed scores far below it', () => {
  const rng = new PortableNoise(3, 0x5c0);
  for (let i = 0; i < 24; i++) {
    const s = placeScene(rng, sampleScene(rng, i % 2 ? 2 : 1))!;
    const changed = withOneWrong(s, (['shape', 'size', 'colour'] as const)[i % 3]!);
    const right = shapesDomain.score!(render(s, 128), caption(s));
    const wrong = shapesDomain.score!(render(changed, 128), caption(s));
    assert.ok(right > 0.95, `${caption(s)}: ${right}`);
    assert.ok(
      wrong < right - 0.25,
      `${caption(s)} drawn with ${JSON.stringify(changed.objects[0])}: ${wrong} against ${right}`,
    );
  }
});

test('of two squares the judge passes, the one measured farther inside the square range scores higher; on the boundary the shape counts one half', () => {
  assert.equal(
    judge(render({ ...scene, objects: [{ ...scene.objects[0]!, cx: 0.2, cy: 0.2 }] }, 128), scene).aligned,
    true,
  );
  const sure = scoreDetection(measured(0.97), scene);
  const borderline = scoreDetection(measured(0.905), scene);
  assert.ok(sure > borderline, `${sure} > ${borderline}`);
  // Five attributes (background, count, shape, size, place); the shape's probability is ½ at 0.90.
  const atBoundary = scoreDetection(measured(0.9), scene);
  const others = scoreDetection(measured(10), scene) ** 5;
  assert.ok(Math.abs(atBoundary ** 5 / others - 0.5) < 1e-9, `${atBoundary}`);
  // Size and place count the same way: an extent just over 0.30 of the side, a centroid just left of a third.
  assert.ok(scoreDetection(measured(0.97, 0.31), scene) < sure);
  assert.ok(scoreDetection(measured(0.97, 0.38, [0.32, 0.2]), scene) < sure);
  // The image's own edges bound no cell: a centroid at the very left loses nothing.
  assert.ok(Math.abs(scoreDetection(measured(0.97, 0.38, [0.02, 0.2]), scene) - sure) < 1e-3);
});

test("property: the score rises with the measured fill ratio for a square, and peaks inside a circle's range", () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0.3, max: 1, noNaN: true }),
      fc.double({ min: 0.3, max: 1, noNaN: true }),
      (a, b) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        assert.ok(scoreDetection(measured(lo), scene) <= scoreDetection(measured(hi), scene));
      },
    ),
  );
  const circle: Scene = { ...scene, objects: [{ ...scene.objects[0]!, shape: 'circle' }] };
  const s = (fill: number) => scoreDetection(measured(fill), circle);
  assert.ok(s(0.77) > s(0.66) && s(0.77) > s(0.88), 'a circle is surest midway between 0.64 and 0.90');
});

test('a missing object, an extra one or the wrong background each score near 0', () => {
  const sure = scoreDetection(measured(0.97), scene);
  const none: Detection = { background: 'white', objects: [] };
  const extra = measured(0.97);
  extra.objects.push({ ...extra.objects[0]!, colour: 'blue', cell: 'bottom right', centroid: [0.8, 0.8] });
  for (const d of [none, extra, { ...measured(0.97), background: 'black' as const }])
    assert.ok(scoreDetection(d, scene) < sure * 0.5, JSON.stringify(d));
  assert.equal(scoreImage(render({ background: 'white', objects: [] }, 64), scene) < 0.5, true);
});
