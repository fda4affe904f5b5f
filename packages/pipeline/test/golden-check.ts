/**
 * Golden numbers: the Python reference sampler (training/baton_train/reference.py) ran a
 * fixed caption and seeds through base + relay; the engine must match it to 1e-4 relative.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { concatBatch, splitBatch, type Tensor, tensor } from '@baton/diffusion';
import { ModelFamily } from '@baton/runtime';
import { Cascade, type JobSpec, noiseFor } from '../src/index.ts';

export const TOLERANCE = 1e-4;

export function relErr(got: Float32Array, want: readonly number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i]! - want[i]!) ** 2;
    den += want[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

export async function loadGolden(dir: string) {
  const golden = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8'));
  const family = await ModelFamily.load(dir);
  const cascade = new Cascade(family);
  const jobs: JobSpec[] = golden.seeds.map((seed: number) => ({
    prompt: golden.caption,
    caption: golden.caption,
    seed,
    size: cascade.manifest.base.resolution * 2,
    variant: 'standard',
    stepsBase: golden.base.steps,
    stepsRelay: golden.relay.steps,
    guidanceBase: golden.base.guidance,
    guidanceRelay: golden.relay.guidance,
  }));
  return { golden, family, cascade, jobs };
}

export async function checkTokensAndNoise(dir: string) {
  const { golden, family } = await loadGolden(dir);
  assert.deepEqual(Array.from(family.tokenize([golden.caption]).data, Number), golden.input_ids);
  const c = family.manifest.latent_channels;
  const side = family.manifest.base.resolution / family.manifest.vae_scale_factor;
  const n = noiseFor(golden.seeds[0], 0, [c, side, side]).data.slice(0, 16);
  assert.ok(relErr(n, golden.noise_base_first) < 1e-6);
}

export async function checkBase(dir: string): Promise<number> {
  const { golden, cascade, jobs } = await loadGolden(dir);
  const base = concatBatch(await cascade.base(jobs));
  assert.deepEqual(base.shape, golden.base_shape);
  const err = relErr(base.data, golden.base_latents);
  assert.ok(err < TOLERANCE, `base relative error ${err}`);
  return err;
}

export async function checkRelay(dir: string): Promise<number> {
  const { golden, cascade, jobs } = await loadGolden(dir);
  const baseIn: Tensor = tensor(Float32Array.from(golden.base_latents), golden.base_shape);
  const zL = await cascade.handOff(splitBatch(baseIn));
  const zErr = relErr(zL.data, golden.z_L);
  assert.ok(zErr < TOLERANCE, `z_L relative error ${zErr}`);
  const relay = concatBatch(await cascade.relay(jobs, splitBatch(baseIn), 1));
  assert.deepEqual(relay.shape, golden.relay_shape);
  const err = relErr(relay.data, golden.relay_latents);
  assert.ok(err < TOLERANCE, `relay relative error ${err}`);
  return err;
}
