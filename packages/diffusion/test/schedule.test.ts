import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Schedule } from '../src/index.ts';

const schedule = new Schedule();

test('σ matches the spec: σ_999 ≈ 14.61, σ_499 ≈ 1.613, σ_0 ≈ 0.029', () => {
  assert.ok(Math.abs(schedule.sigma(999) - 14.6146) < 1e-3);
  assert.ok(Math.abs(schedule.sigma(499) - 1.6129) < 1e-3);
  assert.ok(Math.abs(schedule.sigma(0) - 0.029167) < 1e-5);
});

test('grid is ⌊linspace(999, 0, n, endpoint=False)⌋', () => {
  assert.deepEqual(schedule.grid(4), [999, 749, 499, 249]);
  assert.deepEqual(schedule.grid(1), [999]);
  const g50 = schedule.grid(50);
  assert.equal(g50.length, 50);
  assert.equal(g50[0], 999);
  assert.equal(g50[49], 19);
});

test('relay grid keeps the last P of 2P steps and starts at t = 499', () => {
  assert.deepEqual(schedule.relayGrid(10), [499, 449, 399, 349, 299, 249, 199, 149, 99, 49]);
  assert.deepEqual(schedule.relayGrid(1), [499]);
  assert.equal(schedule.relayGrid(12)[0], 499);
  assert.deepEqual(schedule.relayGrid(4, 749), [749, 562, 374, 187]);
});

test('nearestT quantises σ to the nearest discrete σ', () => {
  for (const t of [0, 1, 250, 499, 998, 999]) assert.equal(schedule.nearestT(schedule.sigma(t)), t);
  assert.equal(schedule.nearestT(100), 999);
  assert.equal(schedule.nearestT(1e-6), 0);
});

test('bad arguments name the argument and value', () => {
  assert.throws(() => schedule.grid(0), /steps must be a positive integer but is 0/);
  assert.throws(() => schedule.relayGrid(2, 1000), /relay start index/);
  assert.throws(() => schedule.sigma(1000), /timestep must be in 0…999 but is 1000/);
});
