/**
 * `baton upscale IN --size N`: your own image through the relays, here (the model in this
 * process) or through an API (--api). The centre square of IN, resized to the stage side just
 * below N, goes through the last relay and the decode, conditioned on --prompt's caption.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeImage, formatOfName } from '@baton/pipeline/formats';
import { fitSquare } from '@baton/pipeline/image';
import { BOUNDS, type JobSpec, parseStage, resolveJob, stagesOf, startSide } from '@baton/pipeline/spec';
import { parseFlags } from './flags.ts';
import { asFileFormat } from './image-file.ts';
import { cliCascade } from './model.ts';
import { bearer, request, resolveApi } from './remote.ts';
import { intFlag, sideOf, UsageError } from './usage-error.ts';

export const UPSCALE_USAGE = `Usage: baton upscale IN --size 128|256|512 [--prompt "…"] [--seed N] [--out FILE] [--api URL|local]

  IN is a PNG, JPEG or WebP. Its centre square, resized to the stage side just below --size,
  runs through the last relay and the decode, conditioned on the caption of --prompt (none
  without). --out's extension picks the format (.png, .jpg, .webp; default upscaled.png).
  --api sends it to a running stack (POST /v1/images/upscale) instead of running it here.`;

export async function upscaleCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      size: { type: 'string' },
      prompt: { type: 'string' },
      seed: { type: 'string' },
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
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const png =
    values.api !== undefined
      ? await viaApi(values.api, bytes, size, seed, values.prompt)
      : await here(bytes, size, seed, values.prompt);
  mkdirSync(dirname(out) || '.', { recursive: true });
  writeFileSync(out, await asFileFormat(out, png));
  console.log(out);
  return 0;
}

async function here(bytes: Uint8Array, size: number, seed: number, prompt?: string): Promise<Uint8Array> {
  const cascade = await cliCascade();
  const m = cascade.manifest;
  const sizes = stagesOf(m, size);
  if (size <= m.base.resolution || sizes.length < 3)
    throw new UsageError(`--size must be larger than ${m.base.resolution} (the base stage's side)`);
  const img = await decodeImage(bytes);
  if (!img) throw new UsageError('the input must be a PNG, JPEG or WebP file');
  const caption = prompt ? cascade.domain.expand(prompt, seed).caption : '';
  let spec: JobSpec;
  try {
    spec = resolveJob(m, 'upscale', caption, { seed, size });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const side = startSide(m, size, Math.min(img.width, img.height));
  const first = Math.round(Math.log2(side / m.base.resolution)) + 1;
  let latents = await cascade.relay([spec], [{ image: fitSquare(img, side) }], first);
  for (const name of sizes.slice(first + 1, -1)) {
    const relay = parseStage(name);
    if (relay.kind === 'relay') latents = await cascade.relay([spec], latents, relay.index);
  }
  const [image] = await cascade.decode(latents);
  return cascade.domain.codec.encode(image!);
}

async function viaApi(api: string, bytes: Uint8Array, size: number, seed: number, prompt?: string) {
  const a = resolveApi(api);
  const form = new FormData();
  form.append('image', new Blob([Buffer.from(bytes)]), 'image');
  form.append('size', `${size}x${size}`);
  form.append('seed', String(seed));
  if (prompt) form.append('prompt', prompt);
  const r = await request(new URL('/v1/images/upscale', a.url), `the key came from ${a.keyFrom}`, {
    method: 'POST',
    headers: bearer(a),
    body: form,
  });
  return new Uint8Array(Buffer.from(r.data[0].b64_json as string, 'base64'));
}
