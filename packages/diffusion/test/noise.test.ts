import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { PortableNoise } from '../src/index.ts';

test('a seed gives the same noise every time; streams and seeds differ', () => {
  const a = new PortableNoise(42).normal(1000);
  assert.deepEqual(a, new PortableNoise(42).normal(1000));
  assert.notDeepEqual(a, new PortableNoise(43).normal(1000));
  assert.notDeepEqual(a, new PortableNoise(42, 1).normal(1000));
});

test('known values (same in the Python training code)', () => {
  const v = new PortableNoise(42).normal(4);
  const expected = [1.1226592, 0.94914746, 0.40412787, 0.03873744];
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(v[i]! - expected[i]!) < 1e-6, `value ${i}: ${v[i]}`);
});

test('another process draws the same numbers', () => {
  const code =
    "import { PortableNoise } from './packages/diffusion/src/index.ts'; console.log(JSON.stringify(Array.from(new PortableNoise(7, 3).normal(8))))";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), Array.from(new PortableNoise(7, 3).normal(8)));
});

test('standard normal moments', () => {
  const v = new PortableNoise(1).normal(200_000);
  let m = 0;
  let s = 0;
  for (const x of v) m += x;
  m /= v.length;
  for (const x of v) s += (x - m) ** 2;
  s = Math.sqrt(s / v.length);
  assert.ok(Math.abs(m) < 0.01, `mean ${m}`);
  assert.ok(Math.abs(s - 1) < 0.01, `std ${s}`);
});

test('seed out of range is rejected', () => {
  assert.throws(() => new PortableNoise(-1), /seed must be an integer/);
  assert.throws(() => new PortableNoise(2 ** 32), /seed must be an integer/);
  assert.throws(() => new PortableNoise(1.5), /seed must be an integer/);
});
