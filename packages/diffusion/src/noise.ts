/**
 * Portable seeded Gaussian noise: the same seed gives the same latents on any
 * machine, in every process, in TypeScript and in the Python training code.
 *
 * Generator (documented so anyone can reimplement it):
 *   1. key = (seed + stream · 0x9E3779B9) mod 2³²  (seed an unsigned 32-bit integer)
 *   2. xoshiro128** state s[0..3] = four successive splitmix32 outputs from key
 *      (x += 0x9E3779B9; z = x; z = (z ^ z>>>16)·0x85EBCA6B; z = (z ^ z>>>13)·0xC2B2AE35; z ^= z>>>16)
 *   3. uniform u = ((a >>> 5) · 2²⁶ + (b >>> 6)) / 2⁵³ from two outputs a, b, in [0, 1)
 *   4. Box–Muller on (1 − u₁, u₂): r = √(−2 ln(1 − u₁)); pair = r·cos 2πu₂, r·sin 2πu₂
 * Streams separate the stages of one job: 0 = base, k = k-th relay stage.
 */

export const MAX_SEED = 0xffffffff;

export class PortableNoise {
  private readonly s = new Uint32Array(4);

  constructor(seed: number, stream = 0) {
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
      throw new RangeError(`seed must be an integer in 0…${MAX_SEED} but is ${seed}`);
    }
    let x = (seed + Math.imul(stream, 0x9e3779b9)) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** xoshiro128** */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  normal(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u1 = 1 - this.uniform();
      const u2 = this.uniform();
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
