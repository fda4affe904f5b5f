/**
 * The formats an image leaves Baton in, as OpenAI's Images API names them: `png` (what is
 * stored: lossless; `output_compression` does not apply), `jpeg` and `webp` with
 * `output_compression` 0–100 (100: least compressed, the best quality; default 100, as OpenAI's).
 * JPEG by jpeg-js, WebP by libwebp compiled to WebAssembly (webp-wasm): no native build.
 */
import jpeg from 'jpeg-js';
import webp from 'webp-wasm';
import { decodePng, fromRgba, type RgbImage } from './image.ts';

export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

/** A file name's format (.png, .jpg/.jpeg, .webp), or undefined. */
export function formatOfName(name: string): OutputFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(name)?.[1]?.toLowerCase();
  if (ext === 'png') return 'png';
  if (ext === 'jpg' || ext === 'jpeg') return 'jpeg';
  if (ext === 'webp') return 'webp';
  return undefined;
}

function rgba(img: RgbImage): Uint8ClampedArray {
  const out = new Uint8ClampedArray(img.width * img.height * 4);
  for (let p = 0; p < img.width * img.height; p++) {
    out[p * 4] = img.data[p * 3]!;
    out[p * 4 + 1] = img.data[p * 3 + 1]!;
    out[p * 4 + 2] = img.data[p * 3 + 2]!;
    out[p * 4 + 3] = 255;
  }
  return out;
}

/** Stored PNG bytes in the asked format (the PNG itself for png). `compression`: 0–100, jpeg and webp. */
export async function convertPng(
  png: Uint8Array,
  format: OutputFormat,
  compression = 100,
): Promise<Uint8Array> {
  if (format === 'png') return png;
  const img = decodePng(png);
  const data = rgba(img);
  if (format === 'jpeg') {
    const out = jpeg.encode(
      { data: Buffer.from(data.buffer), width: img.width, height: img.height },
      Math.max(1, compression),
    );
    return new Uint8Array(out.data);
  }
  // WebP at 100 is lossless (the pixels exactly); below, lossy at that quality.
  const out = await webp.encode(
    { data, width: img.width, height: img.height },
    compression >= 100 ? { lossless: 1 } : { quality: compression },
  );
  return new Uint8Array(out);
}

/** Decodes an uploaded PNG, JPEG or WebP (by its first bytes); null for anything else or a broken file. */
export async function decodeImage(bytes: Uint8Array): Promise<RgbImage | null> {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (b.subarray(1, 4).toString('latin1') === 'PNG') return decodePng(b);
    if (b[0] === 0xff && b[1] === 0xd8) {
      const j = jpeg.decode(b, {
        useTArray: true,
        formatAsRGBA: false,
        maxResolutionInMP: 40,
        maxMemoryUsageInMB: 512,
      });
      return { width: j.width, height: j.height, data: new Uint8Array(j.data) };
    }
    if (b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') {
      const w = await webp.decode(b);
      return fromRgba(w.data, w.width, w.height);
    }
  } catch {
    return null;
  }
  return null;
}

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
