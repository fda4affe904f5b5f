/**
 * The discrete DDPM schedule in σ-space (docs/relay-diffusion.md).
 *
 * Notation: β_t scaled-linear betas, alphaBar_t = ∏_{s≤t}(1 − β_s),
 * σ_t = √((1 − alphaBar_t) / alphaBar_t); t runs 0 … T − 1 (T = 1000).
 */

export interface ScheduleConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: 'scaled_linear' | 'linear';
}

export const SD_SCHEDULE: ScheduleConfig = {
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
};

export class Schedule {
  readonly T: number;
  readonly alphaBar: Float64Array;
  readonly sigmas: Float64Array;
  private readonly logSigmas: Float64Array;

  constructor(readonly config: ScheduleConfig = SD_SCHEDULE) {
    const { numTrainTimesteps: T, betaStart, betaEnd, betaSchedule } = config;
    if (!Number.isInteger(T) || T < 2)
      throw new RangeError(`numTrainTimesteps must be an integer ≥ 2 but is ${T}`);
    this.T = T;
    this.alphaBar = new Float64Array(T);
    this.sigmas = new Float64Array(T);
    this.logSigmas = new Float64Array(T);
    let prod = 1;
    for (let t = 0; t < T; t++) {
      const frac = t / (T - 1);
      // scaled_linear: β_t = (linspace(√β₀, √β₁, T)_t)²
      const beta =
        betaSchedule === 'scaled_linear'
          ? (Math.sqrt(betaStart) + frac * (Math.sqrt(betaEnd) - Math.sqrt(betaStart))) ** 2
          : betaStart + frac * (betaEnd - betaStart);
      prod *= 1 - beta;
      this.alphaBar[t] = prod;
      this.sigmas[t] = Math.sqrt((1 - prod) / prod);
      this.logSigmas[t] = Math.log(this.sigmas[t]!);
    }
  }

  sigma(t: number): number {
    const s = this.sigmas[t];
    if (s === undefined) throw new RangeError(`timestep must be in 0…${this.T - 1} but is ${t}`);
    return s;
  }

  /** Index of the discrete σ nearest to `sigma` (in log σ, as LegacyDDPMDiscretization). */
  nearestT(sigma: number): number {
    if (!(sigma > 0)) throw new RangeError(`sigma must be > 0 but is ${sigma}`);
    const target = Math.log(sigma);
    let best = 0;
    for (let t = 1; t < this.T; t++) {
      if (Math.abs(this.logSigmas[t]! - target) < Math.abs(this.logSigmas[best]! - target)) best = t;
    }
    return best;
  }

  /** t_i = ⌊linspace(T−1, 0, n, endpoint = false)⌋, running T−1 → … (n steps). */
  grid(n: number): number[] {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`steps must be a positive integer but is ${n}`);
    const start = this.T - 1;
    // Same arithmetic as numpy.linspace (i·step + start), so both languages floor alike.
    const step = -start / n;
    return Array.from({ length: n }, (_, i) => Math.floor(i * step + start));
  }

  /**
   * The relay grid, P steps from `startT` down: t_j = ⌊(startT + ½)·(P − j)/P⌋.
   * For the default t = 499 this is exactly the last P steps of the full
   * 2P-step grid (LinearRelayEDMSampler), computed that way so that both
   * languages agree to the bit.
   */
  relayGrid(P: number, startT = 499): number[] {
    if (!Number.isInteger(P) || P < 1)
      throw new RangeError(`relay steps must be a positive integer but is ${P}`);
    if (!Number.isInteger(startT) || startT < 1 || startT >= this.T) {
      throw new RangeError(`relay start index must be an integer in 1…${this.T - 1} but is ${startT}`);
    }
    const n = (this.T * P) / (startT + 1);
    if (Number.isInteger(n)) return this.grid(n).slice(n - P);
    return Array.from({ length: P }, (_, j) => Math.floor(((startT + 0.5) * (P - j)) / P));
  }

  /** σ for each grid index, then a final σ = 0. */
  sigmasFor(ts: readonly number[]): number[] {
    return [...ts.map((t) => this.sigma(t)), 0];
  }
}
