/** A partial image shown at the requested size: nearest-neighbour, each pixel its source's. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { upscale } from '../src/routes/previews.ts';

test('property: every upscaled pixel is the source pixel it falls on, for any side and any larger target', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 90 }),
      fc.integer(),
      (w, extra, seed) => {
        const side = w + extra;
        const data = new Uint8Array(w * w * 3).map((_, i) => (i * 131 + seed) & 255);
        const out = upscale({ width: w, height: w, data }, side);
        assert.equal(out.width, side);
        assert.equal(out.data.length, side * side * 3);
        for (let y = 0; y < side; y++)
          for (let x = 0; x < side; x++) {
            const from = (Math.floor((y * w) / side) * w + Math.floor((x * w) / side)) * 3;
            const to = (y * side + x) * 3;
            assert.deepEqual(
              [...out.data.subarray(to, to + 3)],
              [...data.subarray(from, from + 3)],
              `(${x}, ${y})`,
            );
          }
      },
    ),
    { numRuns: 60 },
  );
});

test('an image already at the size asked is returned as it is', () => {
  const img = { width: 4, height: 4, data: new Uint8Array(48).fill(7) };
  assert.equal(upscale(img, 4), img);
});
