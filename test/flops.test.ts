/** The bench's FLOP count: shapes measured from the shipped graphs, counted per op. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { countFlops } from '../bench/flops.ts';

/** The counter runs Debian's Python with onnx and numpy (python3-onnx): skipped where it cannot, unless CI says it must. */
const canCount =
  spawnSync('/usr/bin/python3', ['-c', 'import onnx, numpy'], { stdio: 'ignore' }).status === 0;
const skip =
  !canCount && process.env.CI !== 'true' ? 'needs Debian python3-onnx (apt-get install python3-onnx)' : false;

test('FLOPs from the graphs scale as the graphs do; the MatMul ceiling is measured', {
  skip,
  timeout: 120_000,
}, async () => {
  const { gflop, peak } = await countFlops(mkdtempSync(join(tmpdir(), 'baton-flops-test-')), 1);
  // Convolutions only: four times the pixels, four times the work.
  assert.ok(Math.abs(gflop['vae_decoder-256']! / gflop['vae_decoder-128']! - 4) < 1e-9);
  assert.ok(Math.abs(gflop['relay_unet-512']! / gflop['relay_unet-256']! - 4) < 0.05);
  // The DiT's MatMuls (their shapes only known at run time) are counted: 64 tokens of width 128, 5 blocks.
  const perToken = (gflop['unet-64']! * 1e9) / 64;
  assert.ok(perToken > 5 * 2 * 128 * 128 * 4, `${perToken} FLOPs per token`);
  assert.ok(peak > 1, `${peak} GFLOP/s`);
});
