/** The model runtime on the committed model: manifest checks, file checks, feed checks, sessions. */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mock, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tensor } from '@baton/diffusion';
import * as ort from 'onnxruntime-node';
import { checkFeeds, chooseProvider, ModelFamily, parseManifest, supportedSizes } from '../src/index.ts';
import { manifestSchema } from '../src/manifest-schema.ts';
import { manifestValidatorCode, VALIDATOR_FILE } from '../src/manifest-validator-code.ts';

const MODEL =
  process.env.BATON_MODEL_DIR ?? fileURLToPath(new URL('../../../models/shapes-v1', import.meta.url));
const manifest = () => JSON.parse(readFileSync(join(MODEL, 'manifest.json'), 'utf8'));
const copy = () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-model-'));
  cpSync(MODEL, dir, { recursive: true });
  return dir;
};

test('the committed manifest validates, and its constants drive the sizes', () => {
  const m = parseManifest(manifest());
  assert.equal(m.schema_version, 1);
  assert.deepEqual(supportedSizes(m), [64, 128, 256, 512]);
  for (const name of ['text_encoder', 'unet', 'vae_encoder', 'vae_decoder']) assert.ok(m.components[name]);
});

test('schema errors say where', () => {
  const m = manifest();
  assert.throws(() => parseManifest({ ...m, schema_version: 2 }), /schema_version/);
  assert.throws(() => parseManifest({ ...m, prediction_type: 'flow' }), /prediction_type/);
  assert.throws(() => parseManifest({ ...m, latent_channels: 0 }), /latent_channels/);
  const { unet: _, ...noUnet } = m.components;
  assert.throws(() => parseManifest({ ...m, components: noUnet }), /unet/);
  assert.throws(
    () =>
      parseManifest({ ...m, variants: { standard: { base: { component: 'nope', steps: 4, guidance: 1 } } } }),
    /variant "standard" names component "nope"/,
  );
});

test('a missing file or a checksum mismatch is an error naming the file', async () => {
  const dir = copy();
  writeFileSync(join(dir, 'unet', 'model.onnx'), 'not a model');
  const family = await ModelFamily.load(dir);
  await assert.rejects(family.warm(['unet']), /unet\/model\.onnx: sha256 [0-9a-f]{64} does not match/);
  const dir2 = copy();
  const m = manifest();
  m.components.vae_decoder.file = 'vae_decoder/missing.onnx';
  writeFileSync(join(dir2, 'manifest.json'), JSON.stringify(m));
  const f2 = await ModelFamily.load(dir2);
  await assert.rejects(f2.warm(['vae_decoder']), /vae_decoder\/missing\.onnx is missing/);
  await assert.rejects(ModelFamily.load(join(dir2, 'nowhere')), /cannot read model manifest/);
});

test('feeds are checked against the session: a missing input or wrong dims is named', async () => {
  const family = await ModelFamily.load(MODEL);
  const m = family.manifest;
  const c = m.latent_channels;
  const side = m.base.resolution / m.vae_scale_factor;
  await assert.rejects(
    family.run('unet', { sample: { data: new Float32Array(c * side * side), dims: [1, c, side, side] } }),
    /unet: missing input "timestep"/,
  );
  const session = {
    inputNames: ['sample'],
    inputMetadata: [{ name: 'sample', isTensor: true, type: 'float32', shape: ['batch', 8, 8, 8] }],
  } as never;
  assert.throws(
    () => checkFeeds('unet', session, { sample: { data: new Float32Array(4 * 64), dims: [1, 4, 8, 8] } }),
    /input "sample" has dims \[1,4,8,8\] but the model expects \[batch,8,8,8\]/,
  );
  assert.throws(
    () => checkFeeds('unet', session, { sample: { data: new BigInt64Array(512), dims: [1, 8, 8, 8] } }),
    /must be float32 but is int64/,
  );
  assert.throws(
    () =>
      checkFeeds('unet', session, {
        sample: { data: new Float32Array(512), dims: [1, 8, 8, 8] },
        extra: { data: new Float32Array(1), dims: [1] },
      }),
    /unknown input "extra"/,
  );
});

test('sessions are made once per process and reused; tokens come from tokenizer.json', async () => {
  const a = await ModelFamily.load(MODEL);
  const b = await ModelFamily.load(MODEL);
  const ids = a.tokenize(['a large red circle in the top left corner, on a white background', '']);
  assert.deepEqual(ids.dims, [2, a.manifest.tokenizer.max_length]);
  assert.ok(
    Array.from(ids.data.slice(ids.dims[1])).every((v) => v === 0n),
    'the empty prompt is all padding',
  );
  // Count the sessions onnxruntime makes: the second family of the same files makes none.
  const create = mock.method(ort.InferenceSession, 'create');
  try {
    await a.warm();
    const made = create.mock.callCount();
    assert.ok(made > 0, 'the first family made its sessions');
    await b.warm();
    assert.equal(create.mock.callCount(), made, 'the second family reuses the sessions');
  } finally {
    create.mock.restore();
  }
  const z = await a.vaeEncode(tensor(new Float32Array(3 * 64 * 64), [1, 3, 64, 64]));
  assert.deepEqual(z.shape, [1, a.manifest.latent_channels, 8, 8]);
});

test('the execution provider comes from configuration, with a reason', () => {
  assert.deepEqual(chooseProvider('cpu'), { provider: 'cpu', reason: 'BATON_EXECUTION_PROVIDER=cpu' });
  assert.equal(chooseProvider('auto').provider, 'cpu');
  assert.match(chooseProvider('auto').reason, /no CUDA provider library/);
  assert.throws(() => chooseProvider('cuda'), /ONNXRUNTIME_NODE_INSTALL=cuda12/);
  assert.throws(() => chooseProvider('tpu'), /must be auto, cpu or cuda/);
});

test('manifest.schema.json is the one written from manifest-schema.ts (npm run manifest:schema)', () => {
  const onDisk = JSON.parse(readFileSync(new URL('../src/manifest.schema.json', import.meta.url), 'utf8'));
  assert.deepEqual(onDisk, JSON.parse(JSON.stringify(manifestSchema)));
});

test('the manifest validator in generated/ is the code the schema compiles to (npm run manifest:schema)', () => {
  assert.equal(readFileSync(VALIDATOR_FILE, 'utf8'), manifestValidatorCode());
});
