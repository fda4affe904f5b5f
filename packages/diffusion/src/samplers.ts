/**
 * The base (Euler) and linear-relay samplers of docs/relay-diffusion.md.
 *
 * Notation: x the current latent, sigmaHat the current σ, D = D(x, sigmaHat),
 * zL the upsampled low-resolution latent, P relay steps, k = P … 1 the relay
 * counter, a = σ_next / sigmaHat.
 */
import { cIn, type Denoiser, denoised, type PredictionType } from './denoiser.ts';
import type { Schedule } from './schedule.ts';
import { concatBatch, sliceBatch, type Tensor, tensor } from './tensor.ts';

/** Text conditioning for a batch: per-item embeddings, and the empty prompt's for CFG. */
export interface TextConditioning {
  cond: Tensor;
  uncond?: Tensor;
}

/**
 * 'cfg': x̂ = u + w (c − u), both branches in one batched model call.
 * 'distilled': w is an input of the network (guidance folded in), one branch.
 * 'none': conditional branch only.
 */
export type GuidanceMode = 'cfg' | 'distilled' | 'none';

export interface StepEvent {
  step: number;
  of: number;
  t: number;
  /** This step's x₀ estimate D(x, σ_t) for the whole batch (a view: copy it to keep it). */
  denoised: Tensor;
}

export interface SamplerOptions {
  denoiser: Denoiser;
  schedule: Schedule;
  predictionType: PredictionType;
  text: TextConditioning;
  /** One guidance scale per batch item. */
  guidance: Float32Array;
  guidanceMode: GuidanceMode;
  steps: number;
  /** Called after every step, between model calls (where deadlines and cancellation are checked). */
  onStep?: (e: StepEvent) => void | Promise<void>;
}

/** One model call giving D(x, σ_t) for the whole batch, with guidance applied. */
export async function guidedDenoise(
  o: SamplerOptions,
  x: Tensor,
  t: number,
  lowResLatent?: Tensor,
): Promise<Float32Array> {
  const b = x.shape[0] ?? 0;
  const sigma = o.schedule.sigma(t);
  const scale = cIn(sigma);
  const xIn = new Float32Array(x.data.length);
  for (let i = 0; i < xIn.length; i++) xIn[i] = x.data[i]! * scale;
  const sample = tensor(xIn, x.shape);
  let out: Float32Array;
  if (o.guidanceMode === 'cfg') {
    if (!o.text.uncond)
      throw new TypeError('guidanceMode "cfg" needs unconditional embeddings (text.uncond)');
    const raw = await o.denoiser({
      sample: concatBatch([sample, sample]),
      timestep: new Int32Array(2 * b).fill(t),
      encoderHiddenStates: concatBatch([o.text.uncond, o.text.cond]),
      ...(lowResLatent && { lowResLatent: concatBatch([lowResLatent, lowResLatent]) }),
    });
    const u = sliceBatch(raw, 0, b).data;
    const c = sliceBatch(raw, b, 2 * b).data;
    const per = u.length / b;
    out = new Float32Array(u.length);
    for (let i = 0; i < out.length; i++) {
      const w = o.guidance[Math.floor(i / per)]!;
      out[i] = u[i]! + w * (c[i]! - u[i]!);
    }
  } else {
    // A batch of one runs as two: CPU kernels take another path for a single row
    // (matrix-vector), which would make an image depend on whether it shared its batch.
    const n = b === 1 ? 2 : 1;
    const rep = (x: Tensor) => (n === 1 ? x : concatBatch([x, x]));
    const raw = await o.denoiser({
      sample: rep(sample),
      timestep: new Int32Array(b * n).fill(t),
      encoderHiddenStates: rep(o.text.cond),
      ...(lowResLatent && { lowResLatent: rep(lowResLatent) }),
      ...(o.guidanceMode === 'distilled' && {
        guidanceScale: n === 1 ? o.guidance : Float32Array.from([...o.guidance, ...o.guidance]),
      }),
    });
    out = n === 1 ? raw.data : sliceBatch(raw, 0, b).data;
  }
  return denoised(out, x.data, sigma, o.predictionType);
}

/**
 * Deterministic Euler in σ-space (EulerEDMSampler, s_churn = 0; DDIM η = 0).
 * noise ~ N(0, I); start x = √(1 + σ₀²)·noise.
 */
export async function sampleBase(o: SamplerOptions, noise: Tensor): Promise<Tensor> {
  const ts = o.schedule.grid(o.steps);
  const sig = o.schedule.sigmasFor(ts);
  const x = new Float32Array(noise.data.length);
  const s0 = Math.sqrt(1 + sig[0]! ** 2);
  for (let i = 0; i < x.length; i++) x[i] = noise.data[i]! * s0;
  for (let i = 0; i < ts.length; i++) {
    const sigmaHat = sig[i]!;
    const d = await guidedDenoise(o, tensor(x, noise.shape), ts[i]!);
    // x ← x + (σ_{i+1} − σ_i)·(x − D)/σ_i
    const h = (sig[i + 1]! - sigmaHat) / sigmaHat;
    for (let j = 0; j < x.length; j++) x[j] = x[j]! + h * (x[j]! - d[j]!);
    await o.onStep?.({ step: i + 1, of: ts.length, t: ts[i]!, denoised: tensor(d, noise.shape) });
  }
  return tensor(x, noise.shape);
}

/**
 * One linear-relay update from sigmaHat to sigmaNext at counter k of P, in place on x:
 *   β = a·k/P − (k − 1)/P;  x_next = a·x + (1 − a + β)·D − β·zL.
 */
export function relayStep(
  x: Float32Array,
  d: Float32Array,
  zL: Float32Array,
  sigmaHat: number,
  sigmaNext: number,
  k: number,
  P: number,
): void {
  const a = sigmaNext / sigmaHat;
  const beta = (a * k) / P - (k - 1) / P;
  const cD = 1 - a + beta;
  for (let j = 0; j < x.length; j++) x[j] = a * x[j]! + cD * d[j]! - beta * zL[j]!;
}

export interface RelayOptions extends SamplerOptions {
  /** Nominal start index (default 499, σ ≈ 1.613). */
  startT?: number;
  /** Whether the network takes zL as an input (`low_res_latent`). */
  lowResInput: boolean;
}

/** LinearRelayEDMSampler: start x = zL + σ_start·noise, then P relay updates. */
export async function sampleRelay(o: RelayOptions, zL: Tensor, noise: Tensor): Promise<Tensor> {
  if (zL.shape.join(',') !== noise.shape.join(',')) {
    throw new RangeError(`zL [${zL.shape}] and noise [${noise.shape}] must have the same shape`);
  }
  const P = o.steps;
  const ts = o.schedule.relayGrid(P, o.startT);
  const sig = o.schedule.sigmasFor(ts);
  const x = new Float32Array(zL.data.length);
  for (let i = 0; i < x.length; i++) x[i] = zL.data[i]! + sig[0]! * noise.data[i]!;
  for (let i = 0; i < P; i++) {
    const d = await guidedDenoise(o, tensor(x, zL.shape), ts[i]!, o.lowResInput ? zL : undefined);
    relayStep(x, d, zL.data, sig[i]!, sig[i + 1]!, P - i, P);
    await o.onStep?.({ step: i + 1, of: P, t: ts[i]!, denoised: tensor(d, zL.shape) });
  }
  return tensor(x, zL.shape);
}
