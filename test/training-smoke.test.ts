/**
 * CI smoke test of the training code: every trainer runs a few steps on the tiny
 * configuration, the exporter writes the family, and the TypeScript runtime loads it,
 * runs every denoiser and matches the reference sampler's golden numbers.
 * Needs Debian's PyTorch (/usr/bin/python3 with torch), which .ci/run installs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Cascade, generateBatch, planJob } from '@baton/pipeline';
import { ModelFamily } from '@baton/runtime';
import {
  checkBase,
  checkRelay,
  checkTokensAndNoise,
  relErr,
} from '../packages/pipeline/test/golden-check.ts';

const root = join(import.meta.dirname, '..');

// Debian's PyTorch is what .ci/run installs; a laptop without it skips this test (CI never does).
const hasTorch =
  spawnSync('/usr/bin/python3', ['-c', 'import torch, onnx'], { encoding: 'utf8' }).status === 0;
const skip =
  !hasTorch && process.env.CI !== 'true'
    ? 'needs Debian python3-torch and python3-onnx (see training/README.md)'
    : false;

test('training smoke: tiny trainers → ONNX export → TypeScript runtime → relay tuned from ONNX', {
  timeout: 600_000,
  skip,
}, async () => {
  const work = mkdtempSync(join(tmpdir(), 'baton-smoke-'));
  const out = join(work, 'model');
  const r = spawnSync(
    '/usr/bin/python3',
    ['-m', 'baton_train', 'all', '--tiny', '--ckpt', join(work, 'ckpt'), '--out', out],
    { cwd: join(root, 'training'), encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } },
  );
  assert.equal(r.status, 0, `training failed:\n${r.stdout}\n${r.stderr}`);
  const log = readFileSync(join(work, 'ckpt', 'train.log'), 'utf8');
  for (const stage of ['vae', 'base', 'relay', 'distill_base', 'distill_relay', 'single']) {
    assert.match(log, new RegExp(`${stage}: done`));
  }

  const family = await ModelFamily.load(out);
  const cascade = new Cascade(family);
  for (const variant of ['standard', 'distilled'] as const) {
    const jobs = [
      planJob(cascade, 'red circle', { seed: 1, size: 256, variant, stepsBase: 2, stepsRelay: 1 }),
    ];
    const [img] = await generateBatch(cascade, jobs);
    assert.equal(img!.image.width, 256);
    assert.ok(img!.encoded.length > 100);
  }
  const single = await cascade.singleStage([planJob(cascade, 'blue box', { seed: 2, stepsBase: 2 })]);
  assert.equal(single[0]!.width, 128);

  // The same golden-number checks as the committed model's, on this export.
  await checkTokensAndNoise(out);
  await checkBase(out);
  await checkRelay(out);

  // The single-stage baseline's inputs made through the exported ONNX encoders (how it is
  // retrained without the torch checkpoints) match the torch path's.
  const inputs = join(work, 'ckpt', 'single_inputs');
  const floats = (f: string) => new Float32Array(new Uint8Array(readFileSync(join(inputs, f))).buffer);
  const [z, ehs] = [floats('z.f32'), floats('ehs.f32')];
  const e = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'training/encode-onnx.ts', join(work, 'ckpt'), out],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  assert.equal(e.status, 0, e.stderr);
  // Same layout and scale: a transposed or unscaled tensor would be off by ~100 %. ONNX Runtime's
  // normalisation kernels round differently from torch's on flat-coloured scenes (~0.2 % here).
  for (const [name, torch] of [
    ['z.f32', z],
    ['ehs.f32', ehs],
  ] as const) {
    const onnx = floats(name);
    assert.equal(onnx.length, torch.length, name);
    const err = relErr(onnx, Array.from(torch));
    assert.ok(err < 5e-3, `${name}: ONNX and torch differ by ${err} (relative)`);
  }

  // tune-relay trains the exported relay further with no torch checkpoint: it reads the relay,
  // VAE and text encoder back from ONNX (the relay re-exports to its own sha256, or it stops),
  // replaces relay_unet and its golden numbers, and leaves the rest of the family alone.
  const manifest = () => JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  const before = manifest();
  const t = spawnSync(
    '/usr/bin/python3',
    ['-m', 'baton_train', 'tune-relay', '--tiny', '--ckpt', join(work, 'tune'), '--out', out],
    { cwd: join(root, 'training'), encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } },
  );
  assert.equal(t.status, 0, `tune-relay failed:\n${t.stdout}\n${t.stderr}`);
  const tuneLog = readFileSync(join(work, 'tune', 'train.log'), 'utf8');
  assert.match(
    tuneLog,
    new RegExp(`starts from .*sha256 ${before.components.relay_unet.sha256.slice(0, 12)}`),
  );
  assert.match(tuneLog, /relay_tune: done/);
  const after = manifest();
  assert.notEqual(after.components.relay_unet.sha256, before.components.relay_unet.sha256);
  for (const name of Object.keys(before.components).filter((c) => c !== 'relay_unet'))
    assert.deepEqual(after.components[name], before.components[name], name);
  await ModelFamily.load(out); // every sum still holds
  await checkBase(out);
  await checkRelay(out);
});
