/**
 * best_of's scorer: how well each image shows its caption, 0…1 (higher is better).
 *
 * A family that declares a `scorer` model in its manifest is scored by it: the image, resized to
 * the scorer's resolution, gives one softmax per head; the domain reads the caption into the
 * label it asks of each head (`Domain.labels`), and the score is the geometric mean of those
 * labels' probabilities. Otherwise the domain's own `score` is used (the shapes judge).
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
  const scorer = cascade.manifest.scorer;
  const labels = cascade.domain.labels;
  if (scorer && labels) {
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
  const score = cascade.domain.score;
  if (!score)
    throw new BadRequestError('best_of', `the ${cascade.domain.name} domain has no scorer for best_of`);
  return images.map((img, i) => score(img, captions[i]!));
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
