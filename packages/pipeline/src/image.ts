/** RGB images: to and from the VAE's pixel tensors, and the PNG codec (pngjs). */
import { PNG } from 'pngjs';

export interface RgbImage {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, row-major. */
  data: Uint8Array;
}

/** How a finished image is stored and served: the pipeline takes one, a domain or deployment picks it. */
export interface ImageCodec {
  readonly contentType: string;
  readonly extension: string;
  encode(img: RgbImage): Uint8Array;
}

/** PNG's Up filter for every row (pngjs's filterType 2): for images whose rows repeat. */
export const UP_FILTER = { filterType: 2 } as const;

/** A PNG of the image; `o.filterType` fixes one row filter (default: the best of five per row). */
export function encodePng(img: RgbImage, o: { filterType?: number } = {}): Buffer {
  const png = new PNG({
    width: img.width,
    height: img.height,
    colorType: 2,
    inputColorType: 2,
    inputHasAlpha: false,
  });
  png.data = Buffer.from(img.data);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, ...o });
}

export function decodePng(bytes: Uint8Array): RgbImage {
  const png = PNG.sync.read(Buffer.from(bytes));
  return fromRgba(png.data, png.width, png.height);
}

/** RGBA bytes (a decoder's output) → RGB, the alpha dropped. */
export function fromRgba(rgba: ArrayLike<number>, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    data[3 * p] = rgba[4 * p]!;
    data[3 * p + 1] = rgba[4 * p + 1]!;
    data[3 * p + 2] = rgba[4 * p + 2]!;
  }
  return { width, height, data };
}

/** NCHW pixels in [−1, 1] (one batch item) → RGB bytes. */
export function fromPixels(data: Float32Array, width: number, height: number, offset = 0): RgbImage {
  const out = new Uint8Array(width * height * 3);
  const plane = width * height;
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < plane; p++) {
      const v = Math.round((data[offset + c * plane + p]! + 1) * 127.5);
      out[3 * p + c] = Math.min(255, Math.max(0, v));
    }
  }
  return { width, height, data: out };
}

/** RGB bytes → NCHW pixels in [−1, 1] (the VAE's input range). */
export function toPixels(img: RgbImage): Float32Array {
  const plane = img.width * img.height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++)
    for (let p = 0; p < plane; p++) out[c * plane + p] = img.data[3 * p + c]! / 127.5 - 1;
  return out;
}

export const pngCodec: ImageCodec = { contentType: 'image/png', extension: 'png', encode: encodePng };
/**
 * The image's centre square at `side` × `side`: each output pixel the mean of the source pixels
 * it covers (a box filter: no aliasing when shrinking), the nearest one when enlarging.
 */
export function fitSquare(img: RgbImage, side: number): RgbImage {
  const s = Math.min(img.width, img.height);
  const x0 = Math.floor((img.width - s) / 2);
  const y0 = Math.floor((img.height - s) / 2);
  const out = new Uint8Array(side * side * 3);
  const scale = s / side;
  for (let y = 0; y < side; y++) {
    const sy0 = Math.floor(y * scale);
    const sy1 = Math.max(sy0 + 1, Math.floor((y + 1) * scale));
    for (let x = 0; x < side; x++) {
      const sx0 = Math.floor(x * scale);
      const sx1 = Math.max(sx0 + 1, Math.floor((x + 1) * scale));
      let [r, g, bl] = [0, 0, 0];
      for (let yy = sy0; yy < sy1; yy++)
        for (let xx = sx0; xx < sx1; xx++) {
          const i = 3 * ((y0 + yy) * img.width + (x0 + xx));
          r += img.data[i]!;
          g += img.data[i + 1]!;
          bl += img.data[i + 2]!;
        }
      const n = (sy1 - sy0) * (sx1 - sx0);
      const o = 3 * (y * side + x);
      [out[o], out[o + 1], out[o + 2]] = [Math.round(r / n), Math.round(g / n), Math.round(bl / n)];
    }
  }
  return { width: side, height: side, data: out };
}
