/**
 * `baton upscale IN --size N`: your own image through the relays, here (the model in this
 * process) or through an API (--api). The centre square of IN, resized to the stage side just
 * below N, goes through the last relay and the decode, conditioned on --prompt's caption.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Tensor } from '@baton/diffusion';
import type { Cascade, RelayInput } from '@baton/pipeline';
import { decodeImage, formatOfName } from '@baton/pipeline/formats';
import { fitSquare, type RgbImage } from '@baton/pipeline/image';
import { BOUNDS, type JobSpec, resolveJob, stagesOf, startSide } from '@baton/pipeline/spec';
import { parseFlags } from './flags.ts';
import { asFileFormat } from './image-file.ts';
import { cliCascade } from './model.ts';
import { bearer, request, resolveApi } from './remote.ts';
import { intFlag, sideOf, UsageError } from './usage-error.ts';

export const UPSCALE_USAGE = `Usage: baton upscale IN --size 128|256|512 [--prompt "…"] [--seed N] [--best-of N] [--out FILE] [--api URL|local]

  IN is a PNG, JPEG or WebP. Its centre square, resized to the largest stage side below --size
  that it covers, runs through the relays from there and the decode, conditioned on the caption
  of --prompt (none without). --best-of N (needs --prompt) relays it N times with noise of
  their own, scores each against the caption with the domain's scorer and keeps the best.
  --out's extension picks the format (.png, .jpg, .webp; default upscaled.png).
  --api sends it to a running stack (POST /v1/images/upscale) instead of running it here.`;

export async function upscaleCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      size: { type: 'string' },
      prompt: { type: 'string' },
      seed: { type: 'string' },
      'best-of': { type: 'string' },
      out: { type: 'string' },
      api: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    console.log(UPSCALE_USAGE);
    return 0;
  }
  const [file, extra] = positionals;
  if (!file) throw new UsageError('upscale needs an image file (PNG, JPEG or WebP)');
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  const size = sideOf(values.size ?? '');
  if (!size) throw new UsageError(`--size must be a side in pixels like 256, got "${values.size ?? ''}"`);
  const out = values.out ?? 'upscaled.png';
  if (!formatOfName(out))
    throw new UsageError(`--out must name a .png, .jpg (.jpeg) or .webp file, but is "${out}"`);
  const seed = intFlag('seed', values.seed, BOUNDS.seed.min, BOUNDS.seed.max) ?? randomInt(0, 2 ** 31);
  const bestOf = intFlag('best-of', values['best-of'], BOUNDS.bestOf.min, BOUNDS.bestOf.max) ?? 1;
  if (bestOf > 1 && !values.prompt)
    throw new UsageError('--best-of needs --prompt: the candidates are scored against its caption');
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const png =
    values.api !== undefined
      ? await viaApi(values.api, bytes, { size, seed, prompt: values.prompt, bestOf })
      : await here(bytes, { size, seed, prompt: values.prompt, bestOf });
  mkdirSync(dirname(out) || '.', { recursive: true });
  writeFileSync(out, await asFileFormat(out, png));
  console.log(out);
  return 0;
}

export interface Upscale {
  size: number;
  seed: number;
  prompt?: string | undefined;
  bestOf: number;
}

async function here(bytes: Uint8Array, o: Upscale): Promise<Uint8Array> {
  const cascade = await cliCascade();
  const img = await decodeImage(bytes);
  if (!img) throw new UsageError('the input must be a PNG, JPEG or WebP file');
  return cascade.domain.codec.encode(await upscaleHere(cascade, img, o));
}

/** The image through the relays to `o.size` and the decode, in this process (also `baton eval --mode upscale`). */
export async function upscaleHere(cascade: Cascade, img: RgbImage, o: Upscale): Promise<RgbImage> {
  const { runStage } = await import('@baton/pipeline');
  const m = cascade.manifest;
  const stages = stagesOf(m, o.size);
  if (o.size <= m.base.resolution || stages.length < 3)
    throw new UsageError(`--size must be larger than ${m.base.resolution} (the base stage's side)`);
  const caption = o.prompt ? cascade.domain.expand(o.prompt, o.seed).caption : '';
  let spec: JobSpec;
  try {
    spec = resolveJob(m, 'upscale', caption, { seed: o.seed, size: o.size, bestOf: o.bestOf });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const side = startSide(m, o.size, Math.min(img.width, img.height));
  // The first relay the image goes through: the one that takes `side` (base × 2^k) to 2 × side.
  const k = Math.round(Math.log2(side / m.base.resolution));
  let inputs: RelayInput[] = [{ image: fitSquare(img, side) }];
  for (const stage of stages.slice(k + 1, -1)) {
    const [r] = await runStage(cascade, stage, [spec], [inputs], undefined, [stages[k + 1]!]);
    [spec, inputs] = [r!.spec, r!.latents];
  }
  const [image] = await cascade.decode(inputs as Tensor[]);
  return image!;
}

async function viaApi(api: string, bytes: Uint8Array, o: Upscale) {
  const a = resolveApi(api);
  const form = new FormData();
  form.append('image', new Blob([Buffer.from(bytes)]), 'image');
  form.append('size', `${o.size}x${o.size}`);
  form.append('seed', String(o.seed));
  if (o.prompt) form.append('prompt', o.prompt);
  if (o.bestOf > 1) form.append('best_of', String(o.bestOf));
  const r = await request(new URL('/v1/images/upscale', a.url), `the key came from ${a.keyFrom}`, {
    method: 'POST',
    headers: bearer(a),
    body: form,
  });
  return new Uint8Array(Buffer.from(r.data[0].b64_json as string, 'base64'));
}
