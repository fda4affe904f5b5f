/**
 * Best of N: N candidates of a job (the same caption, seeds seed … seed + N − 1), drawn together
 * in one batched model call up to the stage that decides what the domain's scorer judges (for
 * the shapes domain the first relay decides shape: 128 px), scored against the caption; the
 * best is finished at the size asked (its first stages run again: the same seed, the same
 * result). Every candidate's steps are spent, as they are billed.
 */
import type { Cascade } from './cascade.ts';
import { BadRequestError } from './errors.ts';
import { type Generated, generateBatch, type ProgressEvent } from './generate.ts';
import type { JobSpec } from './job.ts';
import { scoringSize } from './stage.ts';

export const MAX_BEST_OF = 8;

export interface BestOf {
  /** The kept candidate, at the size asked. */
  result: Generated;
  candidates: { seed: number; score: number }[];
  /** The kept candidate's seed. */
  kept: number;
}

export async function generateBestOf(
  cascade: Cascade,
  specs: readonly JobSpec[],
  n: number,
  onProgress?: (e: ProgressEvent) => void,
): Promise<BestOf[]> {
  const score = cascade.domain.score;
  if (!score)
    throw new BadRequestError('best_of', `the ${cascade.domain.name} domain has no scorer for best_of`);
  if (!Number.isInteger(n) || n < 1 || n > MAX_BEST_OF)
    throw new BadRequestError('best_of', `best_of must be a whole number in 1…${MAX_BEST_OF}, got ${n}`);
  const drafts = specs.flatMap((s) =>
    Array.from({ length: n }, (_, i) => ({
      ...s,
      seed: s.seed + i,
      size: scoringSize(cascade.manifest, s.size),
    })),
  );
  const drawn = await generateBatch(cascade, drafts, onProgress);
  const picks = specs.map((s, j) => {
    const mine = drawn.slice(j * n, (j + 1) * n);
    const candidates = mine.map((d) => ({ seed: d.spec.seed, score: score(d.image, s.caption) }));
    const best = candidates.reduce((a, b) => (b.score > a.score ? b : a));
    return { candidates, kept: best.seed, draft: mine[candidates.indexOf(best)]! };
  });
  // Finished at the size asked where that is larger than the drafts.
  const larger = specs.flatMap((s, j) =>
    s.size > scoringSize(cascade.manifest, s.size) ? [{ ...s, seed: picks[j]!.kept }] : [],
  );
  const finished = larger.length ? await generateBatch(cascade, larger, onProgress) : [];
  let k = 0;
  return specs.map((s, j) => {
    const p = picks[j]!;
    const result = s.size > scoringSize(cascade.manifest, s.size) ? finished[k++]! : p.draft;
    return { result, candidates: p.candidates, kept: p.kept };
  });
}
