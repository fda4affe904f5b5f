import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeSafetensors,
  encodeSafetensors,
  fromFloat16Bits,
  readLatents,
  SafetensorsError,
  toFloat16Bits,
  writeLatents,
} from '../src/index.ts';

const latents = {
  data: Float32Array.from({ length: 2 * 4 * 3 * 3 }, (_, i) => Math.sin(i) * 3),
  shape: [2, 4, 3, 3],
  meta: { job: 'job_1', stage: 'base', seed: 42, model: 'shapes-v1' },
};

function header(json: object, data = new Uint8Array(0)): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(json));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test('latents round-trip with metadata (F32 exact)', () => {
  const back = readLatents(writeLatents(latents));
  assert.deepEqual(back.shape, latents.shape);
  assert.deepEqual(back.data, latents.data);
  assert.deepEqual(back.meta, { ...latents.meta, extra: {} });
});

test('F16 stores raw half bits and round-trips within half precision', () => {
  const back = readLatents(writeLatents(latents, 'F16'));
  for (let i = 0; i < latents.data.length; i++) {
    assert.ok(Math.abs(back.data[i]! - latents.data[i]!) <= 2e-3 * Math.max(1, Math.abs(latents.data[i]!)));
  }
  assert.equal(toFloat16Bits(1), 0x3c00);
  assert.equal(toFloat16Bits(-2), 0xc000);
  assert.equal(toFloat16Bits(65504), 0x7bff);
  assert.equal(toFloat16Bits(1e6), 0x7c00);
  assert.equal(fromFloat16Bits(0x0001), 2 ** -24);
  assert.ok(Number.isNaN(fromFloat16Bits(toFloat16Bits(Number.NaN))));
});

test('property: any F32/F16 tensors round-trip', () => {
  const t = fc.record({
    f16: fc.boolean(),
    shape: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 }),
    seed: fc.integer(),
  });
  fc.assert(
    fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), t, { maxKeys: 4 }), (spec) => {
      const tensors: Record<
        string,
        { dtype: 'F32' | 'F16'; shape: number[]; data: Float32Array | Uint16Array }
      > = {};
      for (const [name, s] of Object.entries(spec)) {
        if (name === '__metadata__') continue;
        const n = s.shape.reduce((a, b) => a * b, 1);
        tensors[name] = s.f16
          ? {
              dtype: 'F16',
              shape: s.shape,
              data: Uint16Array.from({ length: n }, (_, i) => (s.seed + i * 7919) & 0xffff),
            }
          : {
              dtype: 'F32',
              shape: s.shape,
              data: Float32Array.from({ length: n }, (_, i) => (s.seed % 1000) * 0.37 + i),
            };
      }
      const back = decodeSafetensors(encodeSafetensors({ tensors, metadata: { a: 'b' } }));
      assert.deepEqual(back.tensors, tensors);
      assert.deepEqual(back.metadata, { a: 'b' });
    }),
    { numRuns: 200 },
  );
});

test('property: corrupted or random bytes are rejected with a SafetensorsError, never anything else', () => {
  const good = writeLatents(latents);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
          const b = good.slice();
          b[i] = v;
          return b;
        }),
        fc.nat(good.length - 1).map((n) => good.slice(0, n)),
      ),
      (bytes) => {
        try {
          const f = decodeSafetensors(bytes);
          // A mutation that happened to keep the file valid must still decode consistently.
          for (const t of Object.values(f.tensors))
            assert.equal(
              t.data.length,
              t.shape.reduce((a, b) => a * b, 1),
            );
        } catch (e) {
          assert.ok(e instanceof SafetensorsError, `unexpected ${e}`);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('each validation names what is wrong', () => {
  const f32 = (n: number) => new Uint8Array(4 * n);
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(3), /shorter than the 8-byte header length/],
    [
      (() => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
        return b;
      })(),
      /exceeds/,
    ],
    [
      (() => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, 100n, true);
        return b;
      })(),
      /runs past the end/,
    ],
    [header([1, 2]), /must be a JSON object/],
    [
      header({ x: { dtype: 'I8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /unknown or unsupported dtype "I8"/,
    ],
    [
      header({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, f32(1)),
      /shape \[2\] × F32 is 8 bytes but data_offsets span 4/,
    ],
    [header({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)), /past the data/],
    [
      header(
        {
          x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          y: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        },
        f32(2),
      ),
      /overlaps/,
    ],
    [header({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)), /gap before tensor "x"/],
    [
      header({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)),
      /cover 4 bytes but the data section is 8/,
    ],
    [header({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), /non-negative integers/],
    [header({ __metadata__: { a: 1 } }), /__metadata__.a must be a string/],
  ];
  for (const [bytes, re] of cases) assert.throws(() => decodeSafetensors(bytes), re);
  assert.throws(() => readLatents(header({})), /no tensor named "latents"/);
});

/** The reader is plain Python 3 (no packages): skipped on a machine without python3, unless CI says it must run. */
const noPython =
  spawnSync('python3', ['--version']).status !== 0 && process.env.CI !== 'true' ? 'needs python3' : false;

test('a file written here is read by an independent Python reader', { skip: noPython }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-st-'));
  const path = join(dir, 'latents.safetensors');
  writeFileSync(path, writeLatents(latents));
  const r = spawnSync('python3', [join(import.meta.dirname, 'read_safetensors.py'), path], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const parsed = JSON.parse(r.stdout);
  assert.deepEqual(parsed.latents.shape, latents.shape);
  assert.equal(parsed.latents.dtype, 'F32');
  assert.deepEqual(Float32Array.from(parsed.latents.values), latents.data);
  assert.equal(parsed.__metadata__.job, 'job_1');
  assert.equal(parsed.__metadata__.seed, '42');
  assert.equal(parsed.__metadata__.model, 'shapes-v1');
  assert.equal(parsed.__metadata__.shape, '[2,4,3,3]');
  writeFileSync(path, writeLatents(latents, 'F16'));
  const r16 = spawnSync('python3', [join(import.meta.dirname, 'read_safetensors.py'), path], {
    encoding: 'utf8',
  });
  assert.equal(r16.status, 0, r16.stderr);
  const v = JSON.parse(r16.stdout).latents.values as number[];
  for (const [i, x] of v.entries()) assert.ok(Math.abs(x - latents.data[i]!) < 4e-3);
});
