/** Runs whole jobs in-process, stage after stage, batching jobs that share settings. */
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@baton/diffusion';
import { type LoadOptions, ModelFamily } from '@baton/runtime';
import { runStage, type Scored } from './best-of.ts';
import { Cascade } from './cascade.ts';
import { type Domain, type PromptExpansion, plainDomain } from './domain.ts';
import type { RgbImage } from './image.ts';
import { type JobOptions, type JobSpec, resolveJob } from './job.ts';
import { previewHooks, type SavePreview } from './previews.ts';
import { stagesOf } from './stage.ts';

export interface StageTiming {
  stage: string;
  ms: number;
  steps: number;
  batch: number;
}

export interface Generated {
  spec: JobSpec;
  image: RgbImage;
  /** The image in the domain's codec (PNG for the shapes domain). */
  encoded: Uint8Array;
  timings: StageTiming[];
  /** best_of: every candidate's score and the one kept. */
  scored?: Scored;
}

export interface ProgressEvent {
  stage: string;
  step: number;
  of: number;
}

/** The committed default model family (BATON_MODEL_DIR overrides it at an entry point). */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../../models/shapes-v1', import.meta.url));

const cached = new Map<string, Promise<Cascade>>();

/**
 * The process's cascade on the model family in `dir`, with its domain (sessions are created once
 * and reused). The entry point says where the family is and how to run it; nothing here reads
 * the environment.
 */
export function loadCascade(
  dir: string,
  domain: Domain = plainDomain,
  options: LoadOptions = {},
): Promise<Cascade> {
  const key = `${dir}\0${domain.name}`;
  let c = cached.get(key);
  if (!c) {
    c = ModelFamily.load(dir, options).then((f) => new Cascade(f, domain));
    c.catch(() => cached.delete(key));
    cached.set(key, c);
  }
  return c;
}

/** The caption the model sees: the domain's expansion for the domain's own models, else the prompt as given. */
export function expansionFor(
  cascade: Cascade,
  prompt: string,
  seed: number,
  expand: boolean,
): PromptExpansion {
  if (!expand || cascade.manifest.prompt_expander !== cascade.domain.name)
    return { caption: prompt.trim(), warnings: [], words: [] };
  return cascade.domain.expand(prompt, seed);
}

export function planJob(
  cascade: Cascade,
  prompt: string,
  options: JobOptions & { expand?: boolean },
): JobSpec {
  const seed = options.seed ?? 0;
  const spec = resolveJob(cascade.manifest, prompt, '', { ...options, seed });
  const { caption, warnings } = expansionFor(cascade, prompt, seed, options.expand ?? true);
  return { ...spec, caption, ...(warnings.length && { warnings }) };
}

/** Jobs must share size, variant and step counts (one batch per stage). */
export async function generateBatch(
  cascade: Cascade,
  jobs: readonly JobSpec[],
  onProgress?: (e: ProgressEvent) => void,
  /** Partial images of the jobs that asked for them (`previews`), as they come. */
  onPreview?: SavePreview,
): Promise<Generated[]> {
  const first = jobs[0];
  if (!first) return [];
  for (const j of jobs) {
    if (
      cascade.batchKey('relay1', j) !== cascade.batchKey('relay1', first) ||
      j.stepsBase !== first.stepsBase
    ) {
      throw new RangeError('generateBatch needs jobs with the same size, variant and step counts');
    }
  }
  const timings: StageTiming[] = [];
  const timed = async <T>(stage: string, steps: number, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    timings.push({ stage, ms: performance.now() - t0, steps, batch: jobs.length });
    return out;
  };
  const stages = stagesOf(cascade.manifest, first.size);
  const hooks = (stage: string, drawn: JobSpec[], owner: number[]) => ({
    onStep: (step: number, of: number) => onProgress?.({ stage, step, of }),
    ...(onPreview &&
      previewHooks(
        cascade,
        drawn,
        drawn.map(() => stages),
        stage,
        (i, slot, image) => onPreview(owner[i]!, slot, image),
      )),
  });
  // Stage after stage; a best_of job carries its draws until its scoring stage keeps one.
  let specs: JobSpec[] = [...jobs];
  let latents: Tensor[][] = jobs.map(() => []);
  const scored: (Scored | undefined)[] = jobs.map(() => undefined);
  for (const stage of stages.slice(0, -1)) {
    const steps = stage === 'base' ? first.stepsBase : first.stepsRelay;
    const results = await timed(stage, steps, () =>
      runStage(cascade, stage, specs, latents, (drawn, owner) => hooks(stage, drawn, owner)),
    );
    results.forEach((r, j) => {
      if (r.scored) scored[j] = r.scored;
    });
    specs = results.map((r) => r.spec);
    latents = results.map((r) => r.latents);
  }
  onProgress?.({ stage: 'decode', step: 0, of: 1 });
  const images = await timed('decode', 1, () => cascade.decode(latents.map((l) => l[0]!)));
  onProgress?.({ stage: 'decode', step: 1, of: 1 });
  return jobs.map((spec, i) => ({
    spec,
    image: images[i]!,
    encoded: cascade.domain.codec.encode(images[i]!),
    timings,
    ...(scored[i] && { scored: scored[i] }),
  }));
}

/**
 * A job for the family's single-stage model (`--mode single-stage`): its resolution, and its
 * own default steps and guidance where the caller gives none. Size, variant and the relay
 * settings do not apply to it and are overridden.
 */
export function planSingleStage(
  cascade: Cascade,
  prompt: string,
  options: JobOptions & { expand?: boolean },
): JobSpec {
  const s = cascade.manifest.single_stage;
  if (!s) throw new RangeError(`model ${cascade.manifest.id} has no single_stage component`);
  const spec = planJob(cascade, prompt, { ...options, size: s.resolution, variant: 'standard' });
  return {
    ...spec,
    stepsBase: options.stepsBase ?? s.steps,
    guidanceBase: options.guidanceBase ?? s.guidance,
  };
}

/** Jobs from planSingleStage (same step count), one batched pass of the single-stage model, then decode. */
export async function generateSingleStage(
  cascade: Cascade,
  jobs: readonly JobSpec[],
  onProgress?: (e: ProgressEvent) => void,
): Promise<Generated[]> {
  if (!jobs.length) return [];
  if (jobs.some((j) => j.stepsBase !== jobs[0]!.stepsBase))
    throw new RangeError('generateSingleStage needs jobs with the same step count');
  const t0 = performance.now();
  const images = await cascade.singleStage(jobs, {
    onStep: (step, of) => onProgress?.({ stage: 'single', step, of }),
  });
  const timings = [
    { stage: 'single', ms: performance.now() - t0, steps: jobs[0]!.stepsBase, batch: jobs.length },
  ];
  return jobs.map((spec, i) => ({
    spec,
    image: images[i]!,
    encoded: cascade.domain.codec.encode(images[i]!),
    timings,
  }));
}
