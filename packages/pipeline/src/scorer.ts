/**
 * best_of's scorer: how well each image shows its caption, 0…1 (higher is better).
 *
 * A domain that can measure its own images against a caption (`Domain.score`: shapes reads its
 * judge's measurements softly, packages/shapes/src/score.ts) is scored so. Otherwise a family
 * that declares a `scorer` model in its manifest is scored by it, the plug-in point for domains
 * without such a measure: the image, resized to the scorer's resolution, gives one softmax per
 * head; the domain reads the caption into the label it asks of each head (`Domain.labels`), and
 * the score is the geometric mean of those labels' probabilities. With neither, best_of is a 400.
 */
import { concatBatch, tensor } from '@baton/diffusion';
import type { Cascade } from './cascade.ts';
import { BadRequestError } from './errors.ts';
import { fitSquare, type RgbImage, toPixels } from './image.ts';

export async function scoreImages(
  cascade: Cascade,
  images: readonly RgbImage[],
  captions: readonly string[],
): Promise<number[]> {
  const score = cascade.domain.score;
  if (score) return images.map((img, i) => score(img, captions[i]!));
  if (cascade.scorerModel) return scoreWithModel(cascade, images, captions);
  throw new BadRequestError('best_of', `the ${cascade.domain.name} domain has no scorer for best_of`);
}

/** The family's scorer model's rating of each image against its caption (see above). */
export async function scoreWithModel(
  cascade: Cascade,
  images: readonly RgbImage[],
  captions: readonly string[],
): Promise<number[]> {
  const scorer = cascade.manifest.scorer;
  const labels = cascade.domain.labels;
  if (!scorer || !labels)
    throw new BadRequestError('best_of', `the ${cascade.domain.name} family has no scorer model`);
  const r = scorer.resolution;
  const pixels = concatBatch(images.map((img) => tensor(toPixels(fitSquare(img, r)), [1, 3, r, r])));
  const out = await cascade.family.run(scorer.component, {
    pixel_values: { data: pixels.data, dims: pixels.shape },
  });
  const logits = Object.values(out)[0]!;
  const width = logits.shape[1]!;
  return captions.map((caption, i) =>
    meanProbability(scorer.heads, logits.data.subarray(i * width, (i + 1) * width), labels(caption)),
  );
}

/** exp(mean over the asked heads of log softmax(head)[label]); 0 when the caption asks nothing a head knows. */
export function meanProbability(
  heads: readonly { name: string; labels: readonly string[] }[],
  logits: ArrayLike<number>,
  asked: Record<string, string> | null,
): number {
  if (!asked) return 0;
  let offset = 0;
  let sum = 0;
  let n = 0;
  for (const h of heads) {
    const want = asked[h.name];
    const k = want === undefined ? -1 : h.labels.indexOf(want);
    if (k >= 0) {
      let max = -Infinity;
      for (let j = 0; j < h.labels.length; j++) max = Math.max(max, logits[offset + j]!);
      let z = 0;
      for (let j = 0; j < h.labels.length; j++) z += Math.exp(logits[offset + j]! - max);
      sum += logits[offset + k]! - max - Math.log(z);
      n++;
    }
    offset += h.labels.length;
  }
  return n ? Math.exp(sum / n) : 0;
}
