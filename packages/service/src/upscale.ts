/**
 * Upscaling a caller's own image through the relays: the image (PNG, JPEG or WebP) is cut to its
 * centre square and resized to the largest stage side below the target that it covers, and a
 * job runs the relays from there and the decode, conditioned on the caption of `prompt` when one is given
 * (an empty caption otherwise). The relay's noise level decides how much it redraws.
 */
import { randomUUID } from 'node:crypto';
import { type JobRequest, newJobId } from '@baton/jobs';
import { decodeImage } from '@baton/pipeline/formats';
import { encodePng, fitSquare } from '@baton/pipeline/image';
import { resolveJob, stagesOf, startSide } from '@baton/pipeline/spec';
import { supportedSizes } from '@baton/runtime/manifest';
import { InvalidRequest } from './invalid-request.ts';
import type { KeyRecord } from './keys.ts';
import type { Planner } from './plan.ts';

/** The largest image accepted, in pixels (decoding one takes 3 bytes a pixel). */
export const UPSCALE_MAX_PIXELS = 4096 * 4096;

export interface UpscaleInput {
  image: Uint8Array;
  size: number;
  seed: number;
  prompt?: string | undefined;
  /** Candidates relayed from the image and scored against the prompt's caption (1: none). */
  bestOf?: number;
}

/** The upscale job and the image its first relay reads (PNG at the stage's side): nothing stored yet. */
export async function planUpscale(
  api: Planner,
  o: UpscaleInput,
  key: Pick<KeyRecord, 'id'> | null,
): Promise<{ request: JobRequest; input: Uint8Array }> {
  const m = api.manifest;
  const larger = supportedSizes(m).filter((s) => s > m.base.resolution);
  if (!larger.includes(o.size))
    throw new InvalidRequest(
      'size',
      `'size' must be one of ${larger.map((s) => `'${s}x${s}'`).join(', ')} for an upscale`,
    );
  const img = await decodeImage(o.image);
  if (!img) throw new InvalidRequest('image', "'image' must be a PNG, JPEG or WebP file");
  if (img.width * img.height > UPSCALE_MAX_PIXELS)
    throw new InvalidRequest(
      'image',
      `'image' is ${img.width}×${img.height}: at most ${UPSCALE_MAX_PIXELS} pixels (4096 × 4096)`,
    );
  const side = startSide(m, o.size, Math.min(img.width, img.height));
  const stages = stagesOf(m, o.size);
  // The stage whose output side is `side`: base for the base's side, relayK for base × 2^K.
  const k = Math.round(Math.log2(side / m.base.resolution));
  const from = stages[k]!;
  const bestOf = o.bestOf ?? 1;
  if (bestOf > 1 && !o.prompt)
    throw new InvalidRequest('best_of', "'best_of' above 1 needs a 'prompt' to score the candidates against");
  const caption = o.prompt ? (await api.expander.expand(o.prompt, o.seed)).caption : '';
  // Resolved with a stand-in prompt: the caption is what conditions the relay (empty: none).
  const spec = {
    ...resolveJob(m, 'upscale', caption, { seed: o.seed, size: o.size, bestOf }),
    prompt: o.prompt ?? '',
  };
  return {
    request: {
      id: newJobId(),
      spec,
      stages: stages.slice(k + 1),
      model: m.id,
      createdAt: api.now(),
      correlationId: randomUUID(),
      ...(key && { owner: key.id }),
      upscale: { stage: from },
    },
    input: encodePng(fitSquare(img, side)),
  };
}
