/** What each stage queue's worker loads before taking work: its stage's components, no others. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MODEL_DIR, loadCascade } from '../src/index.ts';

test("each stage queue's components: base and relay their denoisers (every variant), what feeds them and best_of's decoder and scorer; decode the decoder", async () => {
  const cascade = await loadCascade(DEFAULT_MODEL_DIR, undefined, { log: () => {} });
  assert.deepEqual(cascade.componentsOf('base').sort(), [
    'scorer',
    'text_encoder',
    'unet',
    'unet_distilled',
    'vae_decoder',
  ]);
  assert.deepEqual(cascade.componentsOf('relay').sort(), [
    'relay_unet',
    'relay_unet_distilled',
    'scorer',
    'text_encoder',
    'vae_decoder',
    'vae_encoder',
  ]);
  assert.deepEqual(cascade.componentsOf('decode'), ['vae_decoder']);
  // The single-stage baseline is the CLI's, never a stage worker's.
  for (const q of ['base', 'relay', 'decode'] as const)
    assert.ok(!cascade.componentsOf(q).includes('unet_single'));
});
