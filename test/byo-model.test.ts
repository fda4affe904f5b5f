/**
 * Bringing your own model: a tiny model in the layout of a Hugging Face Optimum export of
 * Stable Diffusion 1.5 (test/fixtures/tiny_sd.py: the same files, input and output names and
 * dtypes, random weights), described by a manifest as the README's "Plugging in another model"
 * says, loaded by `baton generate` through BATON_MODEL_DIR. Needs Debian's python3-onnx to
 * write the graphs: skipped without it, unless CI says it must run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodePng } from '@baton/pipeline/image';

const root = join(import.meta.dirname, '..');
const canWrite =
  spawnSync('/usr/bin/python3', ['-c', 'import onnx, numpy'], { stdio: 'ignore' }).status === 0;
const skip =
  !canWrite && process.env.CI !== 'true' ? 'needs Debian python3-onnx (apt-get install python3-onnx)' : false;

test('an SD 1.5-layout model (Optimum names, epsilon, 4 latent channels, 77 tokens) loads from a manifest and makes an image', {
  skip,
  timeout: 120_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-byo-'));
  const made = spawnSync('/usr/bin/python3', [join(root, 'test/fixtures/tiny_sd.py'), dir], {
    encoding: 'utf8',
  });
  assert.equal(made.status, 0, made.stderr);
  const sha = (f: string) =>
    createHash('sha256')
      .update(readFileSync(join(dir, f)))
      .digest('hex');
  const component = (name: string, inputs: Record<string, string>, outputs: Record<string, string>) => ({
    file: `${name}/model.onnx`,
    sha256: sha(`${name}/model.onnx`),
    inputs,
    outputs,
  });
  const manifest = {
    schema_version: 1,
    id: 'tiny-sd15',
    prompt_expander: 'none',
    prediction_type: 'epsilon',
    schedule: {
      num_train_timesteps: 1000,
      beta_start: 0.00085,
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
    },
    latent_channels: 4,
    vae_scale_factor: 8,
    vae_scaling_factor: 0.18215,
    tokenizer: { file: 'tokenizer/tokenizer.json', sha256: sha('tokenizer/tokenizer.json'), max_length: 77 },
    components: {
      text_encoder: component('text_encoder', { input_ids: 'int64' }, { last_hidden_state: 'float32' }),
      unet: component(
        'unet',
        { sample: 'float32', timestep: 'int64', encoder_hidden_states: 'float32' },
        { out_sample: 'float32' },
      ),
      vae_encoder: component('vae_encoder', { sample: 'float32' }, { latent_sample: 'float32' }),
      vae_decoder: component('vae_decoder', { latent_sample: 'float32' }, { sample: 'float32' }),
    },
    // SD 1.5 draws at 512 px; this tiny one at 64 px (the same code path, a test's time).
    base: { resolution: 64 },
    relay: { scale: 2, start_t: 499, max_stages: 0 },
    variants: { standard: { base: { component: 'unet', steps: 4, guidance: 7.5 } } },
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  const out = join(dir, 'cat.png');
  const env = { ...process.env, BATON_MODEL_DIR: dir };
  const bin = join(root, 'packages/cli/bin/baton.mjs');
  const r = spawnSync(
    process.execPath,
    [bin, 'generate', 'a photo of a cat', '--size', '64', '--seed', '1', '--out', out, '--json'],
    {
      env,
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const line = JSON.parse(r.stdout.trim());
  assert.equal(line.caption, 'a photo of a cat', 'prompt_expander none: the prompt as written');
  assert.deepEqual(line.stages, ['base', 'decode']);
  const img = decodePng(readFileSync(out));
  assert.equal(img.width, 64);
  assert.ok(new Set(img.data).size > 1, 'an image, not a flat fill');
  // A size the manifest does not offer, and a file whose checksum is wrong, are named.
  const big = spawnSync(process.execPath, [bin, 'generate', 'a cat', '--size', '128', '--out', out], {
    env,
    encoding: 'utf8',
  });
  assert.equal(big.status, 2);
  assert.match(big.stderr, /size/);
  writeFileSync(
    join(dir, 'unet/model.onnx'),
    Buffer.concat([readFileSync(join(dir, 'unet/model.onnx')), Buffer.from([0])]),
  );
  const bad = spawnSync(process.execPath, [bin, 'generate', 'a cat', '--size', '64', '--out', out], {
    env,
    encoding: 'utf8',
  });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /unet\/model\.onnx/);
});
