/** A CLI misuse: the message is printed with the usage hint and the exit code is 2. */
import { BOUNDS } from '@baton/pipeline/spec';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `--name N`: a number in min…max (an integer for intFlag), or undefined when not given. */
function numericFlag(integer: boolean) {
  const kind = integer ? 'an integer' : 'a number';
  return (name: string, value: string | undefined, min: number, max: number): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    const form = integer ? /^-?\d+$/.test(value.trim()) && Number.isSafeInteger(n) : value.trim() !== '';
    if (!form || !Number.isFinite(n) || n < min || n > max)
      throw new UsageError(`--${name} must be ${kind} in ${min}…${max} but is "${value}"`);
    return n;
  };
}

export const intFlag = numericFlag(true);
export const numberFlag = numericFlag(false);

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

/** `128` or `128x128` → 128; NaN for anything else. */
export function sideOf(value: string): number {
  const m = /^(\d+)(?:x(\d+))?$/.exec(value.trim());
  return m && (m[2] === undefined || m[2] === m[1]) ? Number(m[1]) : Number.NaN;
}

/** `--size 128` or `--size 128x128`, one of the model's sizes. */
export function sizeFlag(value: string | undefined, sizes: readonly number[]): number | undefined {
  if (value === undefined) return undefined;
  const side = sideOf(value);
  if (!sizes.includes(side))
    throw new UsageError(
      `--size must be one of ${sizes.join(', ')} (or ${sizes.map((s) => `${s}x${s}`).join(', ')}) but is "${value}"`,
    );
  return side;
}

/** Checks the sampler flags against the model's sizes; the manifest checks the rest (variants' stages). */
export function samplerOptions(
  values: Partial<Record<keyof typeof SAMPLER_FLAGS, string>>,
  sizes: readonly number[],
) {
  return {
    size: sizeFlag(values.size, sizes),
    variant: choiceFlag('variant', values.variant, ['standard', 'distilled'] as const),
    stepsBase: intFlag('steps-base', values['steps-base'], BOUNDS.steps.min, BOUNDS.steps.max),
    stepsRelay: intFlag('steps-relay', values['steps-relay'], BOUNDS.steps.min, BOUNDS.steps.max),
    guidanceBase: numberFlag('cfg', values.cfg, BOUNDS.guidance.min, BOUNDS.guidance.max),
    guidanceRelay: numberFlag('cfg-relay', values['cfg-relay'], BOUNDS.guidance.min, BOUNDS.guidance.max),
  };
}
