import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PortableNoise } from '@baton/diffusion';
import fc from 'fast-check';
import {
  CELLS,
  COLOURS,
  caption,
  decodePng,
  encodePng,
  expandPrompt,
  judge,
  parseCaption,
  placeScene,
  render,
  type Scene,
  SYNONYMS,
  sampleScene,
} from '../src/index.ts';

test('canonical captions follow the spec, with "an" before a vowel', () => {
  const scene: Scene = {
    background: 'orange',
    objects: [
      { size: 'large', colour: 'red', shape: 'circle', cell: 'top left' },
      { size: 'small', colour: 'blue', shape: 'triangle', cell: 'bottom' },
    ],
  };
  assert.equal(
    caption(scene),
    'a large red circle in the top left corner and a small blue triangle at the bottom, on an orange background',
  );
  assert.deepEqual(parseCaption(caption(scene)), scene);
  assert.equal(parseCaption('a red circle'), null);
});

test('the judge passes every rendered scene at 64, 128 and 256 px', () => {
  const rng = new PortableNoise(101);
  for (const size of [64, 128, 256]) {
    const n = size === 256 ? 10 : 40;
    for (let i = 0; i < n; i++) {
      const s = sampleScene(rng);
      const v = judge(render(s, size), s);
      assert.ok(v.aligned, `${size}px: ${caption(s)} → ${JSON.stringify(v.detection)}`);
    }
  }
});

test('the judge catches each wrong attribute', () => {
  const rng = new PortableNoise(7);
  const s = placeScene(rng, {
    background: 'white',
    objects: [{ size: 'large', colour: 'red', shape: 'square', cell: 'top left' }],
  })!;
  const img = render(s, 128);
  const o = s.objects[0]!;
  const wrong: [Scene, string][] = [
    [{ ...s, background: 'black' }, 'background'],
    [{ ...s, objects: [{ ...o, shape: 'circle' }] }, 'shape'],
    [{ ...s, objects: [{ ...o, size: 'small' }] }, 'size'],
    [{ ...s, objects: [{ ...o, cell: 'center' }] }, 'position'],
    [{ ...s, objects: [{ ...o, colour: 'blue' }] }, 'colour'],
    [{ ...s, objects: [o, { ...o, colour: 'green', cell: 'bottom right' }] }, 'count'],
  ];
  assert.ok(judge(img, s).aligned);
  for (const [scene, what] of wrong) assert.equal(judge(img, scene).aligned, false, what);
});

test('PNG round-trip', () => {
  const img = render(sampleScene(new PortableNoise(3)), 64);
  const back = decodePng(encodePng(img));
  assert.deepEqual(back, img);
});

test('expansion: same prompt and seed give the same caption; other seeds vary', () => {
  const a = expandPrompt('red circle', 5).caption;
  assert.equal(expandPrompt('red circle', 5).caption, a);
  const all = new Set(Array.from({ length: 20 }, (_, i) => expandPrompt('red circle', i).caption));
  assert.ok(all.size > 10);
  for (const c of all) assert.match(c, /red circle/);
});

test('expansion maps synonyms and the spec examples', () => {
  const e = expandPrompt('big blue box top right on white', 1).scene;
  assert.deepEqual(e.objects[0], { size: 'large', colour: 'blue', shape: 'square', cell: 'top right' });
  assert.equal(e.background, 'white');
  const two = expandPrompt('two shapes: a green triangle and a tiny purple dot', 2).scene;
  assert.equal(two.objects.length, 2);
  assert.equal(two.objects[0]!.shape, 'triangle');
  assert.equal(two.objects[0]!.colour, 'green');
  assert.deepEqual(
    [two.objects[1]!.size, two.objects[1]!.colour, two.objects[1]!.shape],
    ['small', 'purple', 'circle'],
  );
  const up = expandPrompt('upper-left violet disc, centre small square, on a black background', 4).scene;
  assert.equal(up.objects[0]!.cell, 'top left');
  assert.equal(up.objects[1]!.cell, 'center');
  assert.equal(up.background, 'black');
});

test('property: expansion keeps every stated attribute, fills the rest validly, and is idempotent on captions', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.integer({ min: 0, max: 2 ** 31 }),
      (sceneSeed, seed) => {
        const rng = new PortableNoise(sceneSeed);
        const s = sampleScene(rng);
        assert.equal(expandPrompt(caption(s), seed).caption, caption(s));
        // A loose prompt: synonyms, some attributes dropped.
        const syn = (words: string[]) => words[Math.floor(rng.uniform() * words.length)]!;
        const keep = s.objects.map(() => ({ size: rng.uniform() < 0.5, cell: rng.uniform() < 0.5 }));
        const parts = s.objects.map((o, i) => {
          const w = [];
          if (keep[i]!.size) w.push(syn(SYNONYMS.size[o.size]));
          w.push(
            syn(SYNONYMS.colour[o.colour].filter((x) => !x.includes(' '))),
            syn(SYNONYMS.shape[o.shape]),
          );
          if (keep[i]!.cell) w.push(o.cell);
          return w.join(' ');
        });
        const prompt = `${parts.join(' and ')} on ${s.background}`;
        const e = expandPrompt(prompt, seed);
        assert.ok(parseCaption(e.caption), e.caption);
        assert.equal(e.scene.background, s.background, prompt);
        assert.equal(e.scene.objects.length, s.objects.length, prompt);
        e.scene.objects.forEach((o, i) => {
          const want = s.objects[i]!;
          assert.equal(o.colour, want.colour, prompt);
          assert.equal(o.shape, want.shape, prompt);
          if (keep[i]!.size) assert.equal(o.size, want.size, prompt);
          if (keep[i]!.cell) assert.equal(o.cell, want.cell, prompt);
          assert.notEqual(o.colour, e.scene.background);
          assert.ok(CELLS.includes(o.cell) && COLOURS.includes(o.colour));
        });
        if (e.scene.objects.length === 2) assert.notEqual(e.scene.objects[0]!.cell, e.scene.objects[1]!.cell);
      },
    ),
    { numRuns: 300 },
  );
});
