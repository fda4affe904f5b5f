/**
 * Best of N, inside a job's own stages. Candidates that start from different base draws differ
 * most, and a scorer tells them apart best (on held-out captions, four base draws each relayed
 * once gave the scorer model an aligned pick 91 % of the time, two draws relayed twice 88.5 %), but a base draw
 * costs as much as a relay and its decode together. So candidate 0 is the job without best_of
 * (its own base, seed), and candidates 1…N−1 are drafts: base draws of the family's cheapest
 * base (the distilled variant: 4 steps for 32; seed + i), each relayed by the job's own relay
 * (relaySeed = seed + i). The drafts run in one batched call, the job's own draw in another,
 * the relays of all candidates in one; at the scoring stage (the one that makes
 * `scoringSize`) the domain's scorer (scorer.ts) rates each against the caption and only the
 * best goes on. A job that starts at its scoring stage (an upscale, a 64 px job) draws its N
 * candidates there.
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
  /** Its base was a draft (the draft variant's), not the job's own. */
  draft: boolean;
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
  /** A candidate continuing a draft base. */
  draft?: boolean;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The variant best_of's drafts are drawn with: the one whose base takes the fewest steps. */
export function draftVariant(m: Manifest): JobSpec['variant'] {
  const steps = (v: string) => m.variants[v]!.base.steps;
  const names = Object.keys(m.variants) as JobSpec['variant'][];
  return names.reduce((best, v) => (steps(v) < steps(best) ? v : best), 'standard');
}

/**
 * The draws a job runs at a stage. One for a job without best_of, and past its scoring stage
 * (the scoring stage, or the job's first stage when it starts later: an upscale). Before it,
 * the job's own draw then N − 1 drafts (the draft variant's base), each continuing its own; at
 * it, the N candidates, each continuing draw i, or all from the one input when the job starts there.
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
  const draw = (i: number, from: number, own: Partial<JobSpec> = {}): Draw => ({
    spec: { ...plain, seed: spec.seed + i, relaySeed: spec.seed + i, ...own },
    from,
  });
  if (at === scoring)
    return range(n).map((i) => ({ ...draw(i, scoring === start ? 0 : i), draft: i > 0 && scoring > start }));
  const variant = draftVariant(m);
  const base = m.variants[variant]!.base;
  const draft = { variant, stepsBase: base.steps, guidanceBase: base.guidance };
  return range(n).map((i) => draw(i, at === start ? 0 : i, i && stage === 'base' ? draft : {}));
}

/** What a stage made for one job: its latents (every draw, or the kept one), the spec it goes on with, and the scores where it scored. */
export interface StageResult {
  latents: Tensor[];
  spec: JobSpec;
  /** The draws the job ran at this stage. */
  draws: number;
  /** The model steps those draws ran (what the job is billed for). */
  steps: number;
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
  const out =
    s.kind === 'base'
      ? await baseByVariant(cascade, drawn, owner, hooks)
      : await cascade.relay(
          drawn,
          draws.flatMap((d, j) => d.map((x) => inputs[j]![x.from]!)),
          s.kind === 'relay' ? s.index : 0,
          hooks(drawn, owner),
        );
  const mine = draws.map((_, j) => out.filter((_, i) => owner[i] === j));
  const scoring = specs.map((spec, j) => (spec.bestOf ?? 1) > 1 && scoredAt(m, spec, firsts[j]) === stage);
  const scored = await scoreDraws(
    cascade,
    specs.flatMap((spec, j) => (scoring[j] ? [{ spec, draws: draws[j]!, latents: mine[j]! }] : [])),
  );
  const stepsOf = (d: JobSpec) => (s.kind === 'base' ? d.stepsBase : d.stepsRelay);
  return specs.map((spec, j) => {
    const ran = { draws: draws[j]!.length, steps: draws[j]!.reduce((a, d) => a + stepsOf(d.spec), 0) };
    if (!scoring[j]) return { latents: mine[j]!, spec, ...ran };
    const sc = scored.shift()!;
    return { latents: [mine[j]![sc.kept]!], spec: draws[j]![sc.kept]!.spec, ...ran, scored: sc };
  });
}

/**
 * The base for draws of more than one variant (best_of's drafts beside the jobs' own): one call
 * per variant, the drafts first and without progress (the jobs' own steps are what the stage
 * reports), the latents back in the draws' order.
 */
async function baseByVariant(
  cascade: Cascade,
  drawn: JobSpec[],
  owner: number[],
  hooks: (drawn: JobSpec[], owner: number[]) => StageHooks,
): Promise<Tensor[]> {
  const key = (d: JobSpec) => cascade.batchKey('base', d);
  const own = key(drawn[0]!);
  const groups = new Map<string, number[]>();
  for (const [i, d] of drawn.entries()) groups.set(key(d), [...(groups.get(key(d)) ?? []), i]);
  const out: Tensor[] = [];
  const drafts = [...groups.keys()].filter((k) => k !== own);
  for (const k of [...drafts, own]) {
    const idx = groups.get(k)!;
    const group = idx.map((i) => drawn[i]!);
    const h = hooks(
      group,
      idx.map((i) => owner[i]!),
    );
    const z = await cascade.base(group, k === own ? h : { ...h, onStep: undefined });
    idx.forEach((i, x) => {
      out[i] = z[x]!;
    });
  }
  return out;
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
      draft: d.draft ?? false,
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
      draft: c.draft,
      score: Math.round(c.score * 1e4) / 1e4,
    })),
    kept: s.kept,
  };
}
