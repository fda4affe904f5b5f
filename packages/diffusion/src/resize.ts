/** Bilinear ×2 upsampling of NCHW data, align_corners = false (torch.nn.functional.interpolate). */
import { type Tensor, tensor } from './tensor.ts';

export function upsampleBilinear2x(t: Tensor): Tensor {
  const [n, c, h, w] = t.shape as [number, number, number, number];
  if (t.shape.length !== 4) throw new RangeError(`upsample needs NCHW but shape is [${t.shape}]`);
  const H = 2 * h;
  const W = 2 * w;
  const out = new Float32Array(n * c * H * W);
  // Source coordinate of output pixel i: (i + 0.5)/2 − 0.5, clamped at 0 (as torch does).
  const src = (i: number, size: number) => {
    const s = Math.max((i + 0.5) / 2 - 0.5, 0);
    const i0 = Math.min(Math.floor(s), size - 1);
    const i1 = Math.min(i0 + 1, size - 1);
    return [i0, i1, s - i0] as const;
  };
  const ys = Array.from({ length: H }, (_, i) => src(i, h));
  const xs = Array.from({ length: W }, (_, i) => src(i, w));
  for (let p = 0; p < n * c; p++) {
    const base = p * h * w;
    const obase = p * H * W;
    for (let y = 0; y < H; y++) {
      const [y0, y1, fy] = ys[y]!;
      for (let x = 0; x < W; x++) {
        const [x0, x1, fx] = xs[x]!;
        const a = t.data[base + y0 * w + x0]!;
        const b = t.data[base + y0 * w + x1]!;
        const c2 = t.data[base + y1 * w + x0]!;
        const d = t.data[base + y1 * w + x1]!;
        out[obase + y * W + x] = (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * c2 + fx * d);
      }
    }
  }
  return tensor(out, [n, c, H, W]);
}
