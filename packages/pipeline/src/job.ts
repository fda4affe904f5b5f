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
}

export type JobOptions = Partial<Omit<JobSpec, 'prompt' | 'caption'>>;

export const MAX_STEPS = 200;
export const MAX_GUIDANCE = 30;

/** Fills defaults from the manifest and checks every field; errors name the field. */
export function resolveJob(m: Manifest, prompt: string, caption: string, o: JobOptions): JobSpec {
  const maxChars = m.limits?.max_prompt_chars ?? 1000;
  if (typeof prompt !== 'string' || prompt.trim() === '')
    throw new BadRequestError('prompt', 'prompt must be a non-empty string');
  if (prompt.length > maxChars) {
    throw new BadRequestError('prompt', `prompt is ${prompt.length} characters; the limit is ${maxChars}`);
  }
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
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
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
  for (const k of ['stepsBase', 'stepsRelay'] as const) {
    if (!Number.isInteger(spec[k]) || spec[k] < 1 || spec[k] > MAX_STEPS) {
      throw new BadRequestError(k, `${k} must be an integer in 1…${MAX_STEPS} but is ${spec[k]}`);
    }
  }
  for (const k of ['guidanceBase', 'guidanceRelay'] as const) {
    if (!Number.isFinite(spec[k]) || spec[k] < 0 || spec[k] > MAX_GUIDANCE) {
      throw new BadRequestError(k, `${k} must be a number in 0…${MAX_GUIDANCE} but is ${spec[k]}`);
    }
  }
  return spec;
}

/** Relay stages needed for a size: log₂(size / base resolution). */
export function relayStages(m: Manifest, size: number): number {
  return Math.round(Math.log2(size / m.base.resolution));
}

/** The stages a job runs, in order: base, relay1 … relayN, decode. */
export function stagesOf(m: Manifest, size: number): string[] {
  const n = relayStages(m, size);
  return ['base', ...Array.from({ length: n }, (_, i) => `relay${i + 1}`), 'decode'];
}
