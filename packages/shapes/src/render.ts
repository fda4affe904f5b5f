/** Renders a scene at any side S with 4× supersampling, box-filtered down (RGB, row-major). */
import type { RgbImage } from '@baton/pipeline/image';
import type { PlacedObject, Scene } from './scene.ts';
import { PALETTE, SIZES } from './vocabulary.ts';

export type { RgbImage };

const SS = 4;

export function inside(o: PlacedObject, x: number, y: number): boolean {
  const d = SIZES[o.size];
  if (o.shape === 'circle') return (x - o.cx) ** 2 + (y - o.cy) ** 2 <= (d / 2) ** 2;
  if (o.shape === 'square') return Math.abs(x - o.cx) <= d / 2 && Math.abs(y - o.cy) <= d / 2;
  // Isosceles, pointing up, base d and height d, centred on its bounding box.
  const top = o.cy - d / 2;
  return y >= top && y <= o.cy + d / 2 && Math.abs(x - o.cx) <= (y - top) / 2;
}

export function render(scene: Scene<PlacedObject>, size: number): RgbImage {
  const acc = new Float64Array(size * size * 3);
  const n = size * SS;
  const bg = PALETTE[scene.background];
  for (let py = 0; py < n; py++) {
    const y = (py + 0.5) / n;
    for (let px = 0; px < n; px++) {
      const x = (px + 0.5) / n;
      let c = bg;
      for (const o of scene.objects) if (inside(o, x, y)) c = PALETTE[o.colour];
      const i = (Math.floor(py / SS) * size + Math.floor(px / SS)) * 3;
      acc[i]! += c[0];
      acc[i + 1]! += c[1];
      acc[i + 2]! += c[2];
    }
  }
  const data = new Uint8Array(acc.length);
  for (let i = 0; i < acc.length; i++) data[i] = Math.round(acc[i]! / (SS * SS));
  return { width: size, height: size, data };
}
