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
