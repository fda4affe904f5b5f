/**
 * The denoiser wrapper D(x, σ) around a network F (diffusers' prediction types).
 *
 * The network sees c_in·x = x / √(1 + σ²) and the index t of σ:
 *   epsilon:      D = x − σ·F
 *   v_prediction: D = x / (1 + σ²) − σ / √(1 + σ²) · F
 *   sample:       D = F
 */
import type { Tensor } from './tensor.ts';

export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';
export const PREDICTION_TYPES: readonly PredictionType[] = ['epsilon', 'v_prediction', 'sample'];

/** One batched network call. `timestep` and `guidanceScale` have one entry per batch item. */
export interface ModelCall {
  sample: Tensor;
  timestep: Int32Array;
  encoderHiddenStates: Tensor;
  lowResLatent?: Tensor;
  guidanceScale?: Float32Array;
}

/** The network: a batch in, its raw output (ε, v or x₀) out. */
export type Denoiser = (call: ModelCall) => Promise<Tensor>;

export function cIn(sigma: number): number {
  return 1 / Math.sqrt(1 + sigma * sigma);
}

/** D(x, σ) from the network output, into a new array. */
export function denoised(
  out: Float32Array,
  x: Float32Array,
  sigma: number,
  type: PredictionType,
): Float32Array {
  const d = new Float32Array(x.length);
  if (type === 'epsilon') {
    for (let i = 0; i < x.length; i++) d[i] = x[i]! - sigma * out[i]!;
  } else if (type === 'v_prediction') {
    const a = 1 / (1 + sigma * sigma);
    const b = sigma / Math.sqrt(1 + sigma * sigma);
    for (let i = 0; i < x.length; i++) d[i] = x[i]! * a - b * out[i]!;
  } else {
    d.set(out);
  }
  return d;
}

/** The network output that makes D(x, σ) equal `d` (inverse of `denoised`; used by tests and distillation). */
export function outputFor(
  d: Float32Array,
  x: Float32Array,
  sigma: number,
  type: PredictionType,
): Float32Array {
  const out = new Float32Array(x.length);
  if (type === 'epsilon') {
    for (let i = 0; i < x.length; i++) out[i] = (x[i]! - d[i]!) / sigma;
  } else if (type === 'v_prediction') {
    const s2 = 1 + sigma * sigma;
    for (let i = 0; i < x.length; i++) out[i] = ((x[i]! / s2 - d[i]!) * Math.sqrt(s2)) / sigma;
  } else {
    out.set(d);
  }
  return out;
}
