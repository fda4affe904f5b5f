/** A CLI misuse: the message is printed with the usage hint and the exit code is 2. */
import { BOUNDS } from '@baton/pipeline/spec';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function intFlag(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in ${min}…${max} but is "${value}"`);
  }
  return n;
}

export function numberFlag(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number in ${min}…${max} but is "${value}"`);
  }
  return n;
}

export function choiceFlag<T extends string>(
  name: string,
  value: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T))
    throw new UsageError(`--${name} must be one of ${choices.join(', ')} but is "${value}"`);
  return value as T;
}

/** The sampler flags `generate` and `eval` share, as parseArgs options. */
export const SAMPLER_FLAGS = {
  size: { type: 'string' },
  variant: { type: 'string' },
  'steps-base': { type: 'string' },
  'steps-relay': { type: 'string' },
  cfg: { type: 'string' },
  'cfg-relay': { type: 'string' },
} as const;

/** Checks the sampler flags; the model's manifest checks the rest (sizes, variants). */
export function samplerOptions(values: Partial<Record<keyof typeof SAMPLER_FLAGS, string>>) {
  return {
    size: intFlag('size', values.size, 1, 1 << 16),
    variant: choiceFlag('variant', values.variant, ['standard', 'distilled'] as const),
    stepsBase: intFlag('steps-base', values['steps-base'], BOUNDS.steps.min, BOUNDS.steps.max),
    stepsRelay: intFlag('steps-relay', values['steps-relay'], BOUNDS.steps.min, BOUNDS.steps.max),
    guidanceBase: numberFlag('cfg', values.cfg, BOUNDS.guidance.min, BOUNDS.guidance.max),
    guidanceRelay: numberFlag('cfg-relay', values['cfg-relay'], BOUNDS.guidance.min, BOUNDS.guidance.max),
  };
}
