/**
 * Encodes the single-stage baseline's training set with a committed family's own ONNX
 * encoders (the VAE encoder and the text encoder the cascade ships with), so the baseline
 * can be retrained without the family's torch checkpoints:
 *
 *   npx tsx training/encode-onnx.ts CKPT [MODEL_DIR]
 *
 * Reads CKPT/single_inputs/{meta.json, images.u8, ids.i64} (written by the `single_data`
 * stage) and writes z.f32 (latents × vae_scaling_factor) and ehs.f32 beside them.
 */
import { openSync, readFileSync, writeSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';

const [ckpt, modelDir = resolve(import.meta.dirname, '../models/shapes-v1')] = process.argv.slice(2);
if (!ckpt) {
  console.error('usage: npx tsx training/encode-onnx.ts CKPT [MODEL_DIR]');
  process.exit(2);
}
const dir = join(ckpt, 'single_inputs');
const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { n: number; size: number; max_length: number };
const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8'));
const scale: number = manifest.vae_scaling_factor;
const open = (c: string) =>
  ort.InferenceSession.create(join(modelDir, manifest.components[c].file), { intraOpNumThreads: 2 });
const [vae, text] = await Promise.all([open('vae_encoder'), open('text_encoder')]);

const { n, size, max_length: L } = meta;
const images = readFileSync(join(dir, 'images.u8'));
const ids = new BigInt64Array(new Uint8Array(readFileSync(join(dir, 'ids.i64'))).buffer);
const zOut = openSync(join(dir, 'z.f32'), 'w');
const eOut = openSync(join(dir, 'ehs.f32'), 'w');
const B = 32;
const started = Date.now();
for (let i = 0; i < n; i += B) {
  const b = Math.min(B, n - i);
  // uint8 NHWC → float NCHW in [−1, 1], as training's to_pixels.
  const px = new Float32Array(b * 3 * size * size);
  for (let k = 0; k < b; k++)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++)
          px[((k * 3 + c) * size + y) * size + x] =
            images[(((i + k) * size + y) * size + x) * 3 + c]! / 127.5 - 1;
  const z = (await vae.run({ sample: new ort.Tensor('float32', px, [b, 3, size, size]) })).latent_sample!;
  const zs = Float32Array.from(z.data as Float32Array, (v) => v * scale);
  writeSync(zOut, new Uint8Array(zs.buffer));
  const batchIds = ids.slice(i * L, (i + b) * L);
  const e = (await text.run({ input_ids: new ort.Tensor('int64', batchIds, [b, L]) })).last_hidden_state!;
  writeSync(eOut, new Uint8Array((e.data as Float32Array).buffer, (e.data as Float32Array).byteOffset, e.data.length * 4));
  if ((i / B) % 50 === 0) console.log(`${i + b}/${n} encoded (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
closeSync(zOut);
closeSync(eOut);
console.log(`wrote ${n} latents and text states to ${dir}`);
