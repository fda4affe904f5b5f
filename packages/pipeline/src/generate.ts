/** Runs whole jobs in-process, stage after stage, batching jobs that share settings. */
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@baton/diffusion';
import { ModelFamily } from '@baton/runtime';
import { encodePng, expandPrompt, type RgbImage } from '@baton/shapes';
import { Cascade } from './cascade.ts';
import { type JobOptions, type JobSpec, relayStages, resolveJob } from './job.ts';

export interface StageTiming {
  stage: string;
  ms: number;
  steps: number;
  batch: number;
}

export interface Generated {
  spec: JobSpec;
  image: RgbImage;
  png: Buffer;
  timings: StageTiming[];
}

export interface ProgressEvent {
  stage: string;
  step: number;
  of: number;
}

/** The committed default model family. */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../../models/shapes-v1', import.meta.url));

export function modelDir(): string {
  return process.env.BATON_MODEL_DIR ?? DEFAULT_MODEL_DIR;
}

let cached: Promise<Cascade> | undefined;

/** The process's cascade on the configured model (sessions are created once and reused). */
export function defaultCascade(): Promise<Cascade> {
  cached ??= ModelFamily.load(modelDir()).then((f) => new Cascade(f));
  return cached;
}

/** The caption the model sees: the domain expander for shapes models, else the prompt as given. */
export function captionFor(cascade: Cascade, prompt: string, seed: number, expand: boolean): string {
  if (!expand || cascade.manifest.prompt_expander !== 'shapes') return prompt.trim();
  return expandPrompt(prompt, seed).caption;
}

export function planJob(
  cascade: Cascade,
  prompt: string,
  options: JobOptions & { expand?: boolean },
): JobSpec {
  const seed = options.seed ?? 0;
  const spec = resolveJob(cascade.manifest, prompt, '', { ...options, seed });
  return { ...spec, caption: captionFor(cascade, prompt, seed, options.expand ?? true) };
}

/** Jobs must share size, variant and step counts (one batch per stage). */
export async function generateBatch(
  cascade: Cascade,
  jobs: readonly JobSpec[],
  onProgress?: (e: ProgressEvent) => void,
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
  const hooks = (stage: string) => ({
    onStep: (step: number, of: number) => onProgress?.({ stage, step, of }),
  });
  let latents: Tensor[] = await timed('base', first.stepsBase, () => cascade.base(jobs, hooks('base')));
  const n = relayStages(cascade.manifest, first.size);
  for (let k = 1; k <= n; k++) {
    const input = latents;
    latents = await timed(`relay${k}`, first.stepsRelay, () =>
      cascade.relay(jobs, input, k, hooks(`relay${k}`)),
    );
  }
  onProgress?.({ stage: 'decode', step: 0, of: 1 });
  const images = await timed('decode', 1, () => cascade.decode(latents));
  onProgress?.({ stage: 'decode', step: 1, of: 1 });
  return jobs.map((spec, i) => ({ spec, image: images[i]!, png: encodePng(images[i]!), timings }));
}
