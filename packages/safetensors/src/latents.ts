/** Latents of one cascade stage as a safetensors file, with the job's provenance in `__metadata__`. */

import { fromFloat16Bits, toFloat16Bits } from './float16.ts';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from './safetensors.ts';

export interface LatentsMetadata {
  job: string;
  stage: string;
  seed: number;
  model: string;
  /** Free-form extra provenance (stored as strings). */
  extra?: Record<string, string>;
}

export interface Latents {
  data: Float32Array;
  shape: number[];
  meta: LatentsMetadata;
}

export function writeLatents(l: Latents, dtype: 'F32' | 'F16' = 'F32'): Uint8Array {
  const data = dtype === 'F32' ? l.data : Uint16Array.from(l.data, toFloat16Bits);
  return encodeSafetensors({
    tensors: { latents: { dtype, shape: l.shape, data } },
    metadata: {
      ...l.meta.extra,
      job: l.meta.job,
      stage: l.meta.stage,
      seed: String(l.meta.seed),
      model: l.meta.model,
      shape: JSON.stringify(l.shape),
    },
  });
}

export function readLatents(bytes: Uint8Array): Latents {
  const file = decodeSafetensors(bytes);
  const t = file.tensors.latents;
  if (!t) throw new SafetensorsError('no tensor named "latents"');
  const { job, stage, seed, model, shape, ...extra } = file.metadata;
  for (const [k, v] of Object.entries({ job, stage, seed, model, shape })) {
    if (v === undefined) throw new SafetensorsError(`__metadata__ lacks "${k}"`);
  }
  if (shape !== JSON.stringify(t.shape)) {
    throw new SafetensorsError(`__metadata__.shape ${shape} disagrees with the tensor's shape [${t.shape}]`);
  }
  const seedN = Number(seed);
  if (!Number.isSafeInteger(seedN)) throw new SafetensorsError(`__metadata__.seed ${seed} is not an integer`);
  const data = t.dtype === 'F32' ? (t.data as Float32Array) : Float32Array.from(t.data, fromFloat16Bits);
  return { data, shape: t.shape, meta: { job: job!, stage: stage!, seed: seedN, model: model!, extra } };
}
