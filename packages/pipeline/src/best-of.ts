/**
 * Best of N, inside a job's own stages. The relay decides shape (what goes wrong most), and the
 * base costs twice a relay, so the N candidates share ⌈N/2⌉ base draws: candidate i continues
 * base draw ⌊i/2⌋ (seed + ⌊i/2⌋) with relay noise of its own (relaySeed = seed + i). All of them
 * run in one batched model call per stage, up to the scoring stage (the one that makes
 * `scoringSize`); there the family's scorer (scorer.ts) rates each against the caption, and only
 * the best goes on. Candidate 0 is the job without best_of (seed, relaySeed = seed).
 *
 * The same function runs a stage in-process (generate.ts) and in a queue worker, so a job's
 * candidates, scores and image are the same wherever it runs.
 */
import type { Tensor } from '@baton/diffusion';
import type { Manifest } from '@baton/runtime/manifest';
import type { Cascade, RelayInput, StageHooks } from './cascade.ts';
import type { JobSpec } from './job.ts';
import { scoreImages } from './scorer.ts';
import { parseStage, relayStages, scoringSize, stagesOf } from './stage.ts';

export interface Candidate {
  seed: number;
  relaySeed: number;
  score: number;
}

export interface Scored {
  candidates: Candidate[];
  /** Index of the kept candidate. */
  kept: number;
}

/** The stage whose output best_of scores: the base for a job no larger than it, else the first relay. */
export function scoringStage(m: Manifest, size: number): string {
  const side = scoringSize(m, size);
  return side <= m.base.resolution ? 'base' : `relay${relayStages(m, side)}`;
}

/** The stage a job's candidates are scored at: the scoring stage, or its first stage when later. */
function scoredAt(m: Manifest, spec: JobSpec, first = 'base'): string {
  const order = stagesOf(m, spec.size);
  return order[Math.max(order.indexOf(scoringStage(m, spec.size)), order.indexOf(first))]!;
}

/** One draw of a job at a stage: its spec, and which of the job's inputs it continues. */
export interface Draw {
  spec: JobSpec;
  from: number;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * The draws a job runs at a stage. One for a job without best_of, and past its scoring stage
 * (the scoring stage, or the job's first stage when it starts later: an upscale). Before it,
 * ⌈N/2⌉ draws, each continuing its own; at it, the N candidates, two per earlier draw, or all
 * from the one input when the job starts there.
 */
export function drawsOf(m: Manifest, spec: JobSpec, stage: string, first = 'base'): Draw[] {
  const n = spec.bestOf ?? 1;
  const order = stagesOf(m, spec.size);
  const at = order.indexOf(stage);
  const start = Math.max(0, order.indexOf(first));
  const scoring = order.indexOf(scoredAt(m, spec, first));
  if (n <= 1 || at > scoring) return [{ spec, from: 0 }];
  // A candidate has no previews of its own (best_of answers when it is done).
  const { previews: _, ...plain } = spec;
  const draw = (seed: number, relaySeed: number, from: number): Draw => ({
    spec: { ...plain, seed, relaySeed },
    from,
  });
  if (at < scoring)
    return range(Math.ceil(n / 2)).map((b) => draw(spec.seed + b, spec.seed + b, at === start ? 0 : b));
  if (scoring === start) return range(n).map((i) => draw(spec.seed + i, spec.seed + i, 0));
  return range(n).map((i) => draw(spec.seed + Math.floor(i / 2), spec.seed + i, Math.floor(i / 2)));
}

/** What a stage made for one job: its latents (every draw, or the kept one), the spec it goes on with, and the scores where it scored. */
export interface StageResult {
  latents: Tensor[];
  spec: JobSpec;
  /** The draws the job ran at this stage (what it is billed for). */
  draws: number;
  scored?: Scored;
}

/**
 * A base or relay stage for a group of jobs (same batch key), their best_of draws expanded into
 * one batched call. `inputs[j]`: job j's latents from the previous stage (every draw), empty for
 * the base; `firsts[j]`: the stage job j starts at (base unless given). `hooks` gets the
 * expanded specs and, per draw, the job it belongs to.
 */
export async function runStage(
  cascade: Cascade,
  stage: string,
  specs: readonly JobSpec[],
  inputs: readonly (readonly RelayInput[])[],
  hooks: (drawn: JobSpec[], owner: number[]) => StageHooks = () => ({}),
  firsts: readonly string[] = [],
): Promise<StageResult[]> {
  const m = cascade.manifest;
  const draws = specs.map((s, j) => drawsOf(m, s, stage, firsts[j]));
  const owner = draws.flatMap((d, j) => d.map(() => j));
  const drawn = draws.flat().map((d) => d.spec);
  const s = parseStage(stage);
  const h = hooks(drawn, owner);
  const out =
    s.kind === 'base'
      ? await cascade.base(drawn, h)
      : await cascade.relay(
          drawn,
          draws.flatMap((d, j) => d.map((x) => inputs[j]![x.from]!)),
          s.kind === 'relay' ? s.index : 0,
          h,
        );
  const mine = draws.map((_, j) => out.filter((_, i) => owner[i] === j));
  const scoring = specs.map((spec, j) => (spec.bestOf ?? 1) > 1 && scoredAt(m, spec, firsts[j]) === stage);
  const scored = await scoreDraws(
    cascade,
    specs.flatMap((spec, j) => (scoring[j] ? [{ spec, draws: draws[j]!, latents: mine[j]! }] : [])),
  );
  return specs.map((spec, j) => {
    const n = draws[j]!.length;
    if (!scoring[j]) return { latents: mine[j]!, spec, draws: n };
    const sc = scored.shift()!;
    return { latents: [mine[j]![sc.kept]!], spec: draws[j]![sc.kept]!.spec, draws: n, scored: sc };
  });
}

/** Every scored job's candidates decoded in one call, scored in one call, the best of each kept. */
async function scoreDraws(
  cascade: Cascade,
  jobs: { spec: JobSpec; draws: Draw[]; latents: Tensor[] }[],
): Promise<Scored[]> {
  if (!jobs.length) return [];
  const images = await cascade.decode(jobs.flatMap((j) => j.latents));
  const scores = await scoreImages(
    cascade,
    images,
    jobs.flatMap((j) => j.draws.map(() => j.spec.caption)),
  );
  let k = 0;
  return jobs.map((j) => {
    const candidates = j.draws.map((d) => ({
      seed: d.spec.seed,
      relaySeed: d.spec.relaySeed ?? d.spec.seed,
      score: scores[k++]!,
    }));
    const kept = candidates.reduce((best, c, i) => (c.score > candidates[best]!.score ? i : best), 0);
    return { candidates, kept };
  });
}

/** How APIs and the CLI show a job's best_of: each candidate's seeds and score, and the kept one's index. */
export function bestOfJson(s: Scored) {
  return {
    candidates: s.candidates.map((c) => ({
      seed: c.seed,
      relay_seed: c.relaySeed,
      score: Math.round(c.score * 1e4) / 1e4,
    })),
    kept: s.kept,
  };
}
