/** A generation request, checked against the model's manifest. */
import { MAX_SEED } from '@baton/diffusion';
import { type Manifest, supportedSizes } from '@baton/runtime/manifest';
import { BadRequestError } from './errors.ts';

export type Variant = 'standard' | 'distilled';

export interface JobSpec {
  prompt: string;
  /** The caption the model sees (the expanded prompt, or the prompt verbatim). */
  caption: string;
  seed: number;
  size: number;
  variant: Variant;
  stepsBase: number;
  stepsRelay: number;
  guidanceBase: number;
  guidanceRelay: number;
  /** What the expansion ignored or could not honour, one line each (absent: nothing). */
  warnings?: string[];
  /** Partial images wanted (previews.ts): stage boundaries first, then x₀ mid-way. Absent: none. */
  previews?: number;
  /** Candidates drawn, scored and the best kept (best-of.ts). Absent: 1. */
  bestOf?: number;
  /** The seed of the relays' noise where it is not `seed` (a best_of candidate's). */
  relaySeed?: number;
}

export type JobOptions = Partial<Omit<JobSpec, 'prompt' | 'caption' | 'warnings' | 'previews' | 'relaySeed'>>;

/**
 * The bounds of every request option, in one place: the API's request schemas, the
 * OpenAPI document, the CLI's flags and resolveJob all read them.
 */
export const BOUNDS = {
  steps: { min: 1, max: 200 },
  guidance: { min: 0, max: 30 },
  seed: { min: 0, max: MAX_SEED },
  bestOf: { min: 1, max: 8 },
} as const;

export const MAX_STEPS = BOUNDS.steps.max;
export const MAX_GUIDANCE = BOUNDS.guidance.max;

export function maxPromptChars(m: Manifest): number {
  return m.limits?.max_prompt_chars ?? 1000;
}

/** Why a prompt cannot be used, or null when it can (`label`: how the caller names the field). */
export function promptProblem(m: Manifest, prompt: unknown, label = 'prompt'): string | null {
  if (typeof prompt !== 'string') return `${label} must be a string`;
  if (prompt.trim() === '') return `${label} must not be empty`;
  const max = maxPromptChars(m);
  if (prompt.length > max) return `${label} is ${prompt.length} characters; the limit is ${max}`;
  return null;
}

/** Fills defaults from the manifest and checks every field; errors name the field. */
export function resolveJob(m: Manifest, prompt: string, caption: string, o: JobOptions): JobSpec {
  const problem = promptProblem(m, prompt);
  if (problem) throw new BadRequestError('prompt', problem);
  const variant = o.variant ?? 'standard';
  const v = m.variants[variant];
  if (!v)
    throw new BadRequestError(
      'variant',
      `variant must be one of ${Object.keys(m.variants).join(', ')} but is "${variant}"`,
    );
  const sizes = supportedSizes(m);
  const size = o.size ?? (sizes.includes(128) ? 128 : sizes[0]!);
  if (!sizes.includes(size))
    throw new BadRequestError(
      'size',
      `size must be one of ${sizes.join(', ')} for model ${m.id} but is ${size}`,
    );
  if (size > m.base.resolution && !v.relay)
    throw new BadRequestError('size', `variant "${variant}" has no relay stage for size ${size}`);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed) || seed < BOUNDS.seed.min || seed > BOUNDS.seed.max) {
    throw new BadRequestError('seed', `seed must be an integer in 0…${MAX_SEED} but is ${seed}`);
  }
  const spec: JobSpec = {
    prompt,
    caption,
    seed,
    size,
    variant: variant as Variant,
    stepsBase: o.stepsBase ?? v.base.steps,
    stepsRelay: o.stepsRelay ?? v.relay?.steps ?? 1,
    guidanceBase: o.guidanceBase ?? v.base.guidance,
    guidanceRelay: o.guidanceRelay ?? v.relay?.guidance ?? 0,
  };
  const n = o.bestOf ?? 1;
  if (!Number.isInteger(n) || n < BOUNDS.bestOf.min || n > BOUNDS.bestOf.max)
    throw new BadRequestError(
      'best_of',
      `best_of must be a whole number in 1…${BOUNDS.bestOf.max}, got ${n}`,
    );
  if (n > 1) spec.bestOf = n;
  for (const k of ['stepsBase', 'stepsRelay'] as const) {
    const { min, max } = BOUNDS.steps;
    if (!Number.isInteger(spec[k]) || spec[k] < min || spec[k] > max) {
      throw new BadRequestError(k, `${k} must be an integer in ${min}…${max} but is ${spec[k]}`);
    }
  }
  for (const k of ['guidanceBase', 'guidanceRelay'] as const) {
    const { min, max } = BOUNDS.guidance;
    if (!Number.isFinite(spec[k]) || spec[k] < min || spec[k] > max) {
      throw new BadRequestError(k, `${k} must be a number in ${min}…${max} but is ${spec[k]}`);
    }
  }
  return spec;
}
