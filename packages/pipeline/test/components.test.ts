/** What each stage queue's worker loads before taking work: its stage's components, no others. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MODEL_DIR, type Domain, loadCascade, plainDomain } from '../src/index.ts';

const quiet = { log: () => {} };
// A domain that reads captions into the scorer's labels and has no measure of its own: best_of
// scores with the family's scorer model. One with a measure of its own needs only the decoder.
const labelled: Domain = { ...plainDomain, name: 'labelled', labels: () => ({}) };
const measured: Domain = { ...plainDomain, name: 'measured', score: () => 1 };

test("each stage queue's components: base and relay their denoisers (every variant), what feeds them and best_of's decoder and scorer model; decode the decoder", async () => {
  const cascade = await loadCascade(DEFAULT_MODEL_DIR, labelled, quiet);
  assert.equal(cascade.scorerModel, 'scorer');
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

test("a domain that measures its own images loads no scorer model; one that can't score loads neither it nor the base's decoder", async () => {
  const own = await loadCascade(DEFAULT_MODEL_DIR, measured, quiet);
  assert.equal(own.scorerModel, undefined);
  assert.deepEqual(own.componentsOf('base').sort(), [
    'text_encoder',
    'unet',
    'unet_distilled',
    'vae_decoder',
  ]);
  assert.ok(!own.componentsOf('relay').includes('scorer'));
  const none = await loadCascade(DEFAULT_MODEL_DIR, plainDomain, quiet);
  assert.equal(none.scorerModel, undefined);
  assert.deepEqual(none.componentsOf('base').sort(), ['text_encoder', 'unet', 'unet_distilled']);
});
