import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type Denoiser,
  type ModelCall,
  outputFor,
  PortableNoise,
  type PredictionType,
  relayStep,
  type SamplerOptions,
  Schedule,
  sampleBase,
  sampleRelay,
  tensor,
  zeros,
} from '../src/index.ts';

const schedule = new Schedule();
const N = 16384; // samples; the standard error of a std estimate is then ≈ 0.55 %
const DIMS = 4;

function moments(x: Float32Array, dims: number) {
  const n = x.length / dims;
  const mean = new Float64Array(dims);
  const sq = new Float64Array(dims);
  for (let i = 0; i < x.length; i++) mean[i % dims]! += x[i]! / n;
  for (let i = 0; i < x.length; i++) sq[i % dims]! += (x[i]! - mean[i % dims]!) ** 2 / n;
  return { mean: Array.from(mean), std: Array.from(sq, Math.sqrt) };
}

/** The exact denoiser of x₀ ~ N(μ, s²I): E[x₀ | x] = μ + s²/(s² + σ²)·(x − μ), expressed as a network output. */
function gaussianDenoiser(mu: number[], s: number[], type: PredictionType): Denoiser {
  return async (call: ModelCall) => {
    const sigma = schedule.sigma(call.timestep[0]!);
    const scale = Math.sqrt(1 + sigma * sigma); // undo c_in
    const x = call.sample.data.map((v) => v * scale);
    const d = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const j = i % mu.length;
      const s2 = s[j]! ** 2;
      d[i] = mu[j]! + (s2 / (s2 + sigma * sigma)) * (x[i]! - mu[j]!);
    }
    return tensor(outputFor(d, x, sigma, type), call.sample.shape);
  };
}

function options(denoiser: Denoiser, type: PredictionType, steps: number, b: number): SamplerOptions {
  return {
    denoiser,
    schedule,
    predictionType: type,
    text: { cond: zeros([b, 1, 1]) },
    guidance: new Float32Array(b),
    guidanceMode: 'none',
    steps,
  };
}

for (const type of ['epsilon', 'v_prediction', 'sample'] as const) {
  test(`base sampler reproduces N(μ, s²) with the exact Gaussian denoiser (${type})`, async () => {
    // The SD schedule's first σ (14.6) is finite: starting from pure noise leaves a bias of
    // μ·s/√(s² + σ₀²) (1.7 % for s = 0.25); the deterministic last step to σ = 0 shrinks the
    // spread by s/√(s² + σ_last²). With 1000 steps (σ_last = σ_0 ≈ 0.029) and s in 0.2…0.25
    // both stay under 2 %, so what remains to be caught is the sampler itself.
    const mu = [1.0, -0.8, 1.5, 2.0];
    const s = [0.25, 0.2, 0.22, 0.25];
    const noise = tensor(new PortableNoise(3).normal(N * DIMS), [N, DIMS]);
    const out = await sampleBase(options(gaussianDenoiser(mu, s, type), type, 1000, N), noise);
    const m = moments(out.data, DIMS);
    for (let j = 0; j < DIMS; j++) {
      assert.ok(
        Math.abs(m.mean[j]! - mu[j]!) <= 0.02 * Math.abs(mu[j]!),
        `mean[${j}] ${m.mean[j]} vs ${mu[j]}`,
      );
      assert.ok(Math.abs(m.std[j]! - s[j]!) <= 0.02 * s[j]!, `std[${j}] ${m.std[j]} vs ${s[j]}`);
    }
  });
}

test('a wrong sampler fails the Gaussian check (the test can fail)', async () => {
  const mu = [1.0];
  const s = [0.25];
  const noise = tensor(new PortableNoise(3).normal(N), [N, 1]);
  // Declaring ε-prediction for a network that predicts v gives wrong moments.
  const out = await sampleBase(options(gaussianDenoiser(mu, s, 'v_prediction'), 'epsilon', 1000, N), noise);
  const m = moments(out.data, 1);
  assert.ok(Math.abs(m.mean[0]! - 1) > 0.02 || Math.abs(m.std[0]! - 0.25) > 0.005);
});

test('relay sampler reproduces the Gaussian conditional z₀ | z_L', async () => {
  // z₀ = z_L + δ, δ ~ N(m, s²). The relay forward process at t: x = z_L + (1 − t/T_r)·δ + σ_t ε,
  // whose exact denoiser is z_L + m + (1−b)s²/((1−b)²s² + σ²)·(x − z_L − (1−b)m), b = t/T_r.
  const Tr = 500;
  const m = [0.5, -0.6, 0.8, 0.7];
  const s = [0.3, 0.35, 0.5, 0.4];
  const zL = new PortableNoise(11).normal(N * DIMS);
  const denoiser: Denoiser = async (call) => {
    const t = call.timestep[0]!;
    const sigma = schedule.sigma(t);
    const b = t / Tr;
    const scale = Math.sqrt(1 + sigma * sigma);
    const x = call.sample.data.map((v) => v * scale);
    const low = call.lowResLatent!.data;
    const d = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const j = i % DIMS;
      const y = x[i]! - low[i]!;
      const s2 = s[j]! ** 2;
      const gain = ((1 - b) * s2) / ((1 - b) ** 2 * s2 + sigma * sigma);
      d[i] = low[i]! + m[j]! + gain * (y - (1 - b) * m[j]!);
    }
    return tensor(outputFor(d, x, sigma, 'v_prediction'), call.sample.shape);
  };
  const noise = tensor(new PortableNoise(12).normal(N * DIMS), [N, DIMS]);
  const zLT = tensor(zL, [N, DIMS]);
  // P = 500 from t = 499: every discrete step down to σ_0, so the last deterministic step
  // (which returns the posterior mean) no longer narrows the spread.
  const out = await sampleRelay(
    { ...options(denoiser, 'v_prediction', 500, N), lowResInput: true },
    zLT,
    noise,
  );
  const delta = out.data.map((v, i) => v - zL[i]!);
  const mom = moments(delta, DIMS);
  for (let j = 0; j < DIMS; j++) {
    assert.ok(
      Math.abs(mom.mean[j]! - m[j]!) <= 0.02 * Math.abs(m[j]!),
      `mean[${j}] ${mom.mean[j]} vs ${m[j]}`,
    );
    assert.ok(Math.abs(mom.std[j]! - s[j]!) <= 0.02 * s[j]!, `std[${j}] ${mom.std[j]} vs ${s[j]}`);
  }
});

test('relay update equals Algorithm 1: blurred mean, then a DDIM η = 0 step around it', () => {
  const f32 = fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(f32, f32, f32), { minLength: 1, maxLength: 16 }),
      fc.integer({ min: 1, max: 24 }),
      fc.double({ min: 0.05, max: 15, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer({ min: 1, max: 24 }),
      (vals, P, sigmaHat, ratio, kRaw) => {
        const k = ((kRaw - 1) % P) + 1;
        const sigmaNext = ratio * sigmaHat;
        const x = Float32Array.from(vals.map((v) => v[0]));
        const d = Float32Array.from(vals.map((v) => v[1]));
        const zL = Float32Array.from(vals.map((v) => v[2]));
        const got = x.slice();
        relayStep(got, d, zL, sigmaHat, sigmaNext, k, P);
        for (let i = 0; i < x.length; i++) {
          const blurNow = (1 - k / P) * d[i]! + (k / P) * zL[i]!; // z⁰_t
          const blurNext = (1 - (k - 1) / P) * d[i]! + ((k - 1) / P) * zL[i]!; // z⁰_{t−1}
          const expected = blurNext + (sigmaNext / sigmaHat) * (x[i]! - blurNow);
          if (Math.abs(got[i]! - expected) > 1e-4 * (1 + Math.abs(expected))) return false;
        }
        return true;
      },
    ),
    { numRuns: 500 },
  );
});

test('CFG batches both branches into one call and mixes u + w(c − u) per item', async () => {
  const calls: ModelCall[] = [];
  const denoiser: Denoiser = async (call) => {
    calls.push(call);
    // Output: the first embedding value of each item (uncond = 0, cond = item's value).
    const per = call.sample.data.length / call.sample.shape[0]!;
    const out = new Float32Array(call.sample.data.length);
    for (let i = 0; i < out.length; i++) {
      out[i] = call.encoderHiddenStates.data[Math.floor(i / per) * 2]!;
    }
    return tensor(out, call.sample.shape);
  };
  const cond = tensor(Float32Array.from([1, 1, 2, 2]), [2, 1, 2]);
  const o: SamplerOptions = {
    ...options(denoiser, 'sample', 3, 2),
    text: { cond, uncond: zeros([2, 1, 2]) },
    guidance: Float32Array.from([3, 5]),
    guidanceMode: 'cfg',
  };
  const out = await sampleBase(o, tensor(new Float32Array(8), [2, 4]));
  assert.equal(calls.length, 3);
  for (const c of calls) {
    assert.deepEqual(c.sample.shape, [4, 4]);
    assert.equal(c.guidanceScale, undefined);
  }
  // 'sample' prediction: the last step lands on D = u + w(c − u) = w·c.
  assert.deepEqual(Array.from(out.data), [3, 3, 3, 3, 10, 10, 10, 10]);
});

test('distilled mode makes one unbatched call per step with the guidance scale as input', async () => {
  const seen: ModelCall[] = [];
  const denoiser: Denoiser = async (call) => {
    seen.push(call);
    return tensor(new Float32Array(call.sample.data.length), call.sample.shape);
  };
  const o: SamplerOptions = {
    ...options(denoiser, 'sample', 4, 2),
    guidance: Float32Array.from([4, 6]),
    guidanceMode: 'distilled',
  };
  await sampleBase(o, tensor(new Float32Array(8), [2, 4]));
  assert.equal(seen.length, 4);
  assert.deepEqual(Array.from(seen[0]!.guidanceScale!), [4, 6]);
  assert.deepEqual(seen[0]!.sample.shape, [2, 4]);
  assert.deepEqual(Array.from(seen.map((c) => c.timestep[0])), [999, 749, 499, 249]);
});
