/**
 * Stage names, parsed once: `base`, `relay1` … `relayN`, `decode`. Everything that needs a
 * stage's kind, its relay index or its side reads it from here, not from the string.
 */
import type { Manifest } from '@baton/runtime/manifest';
import { BadRequestError } from './errors.ts';

export type Stage = { kind: 'base' } | { kind: 'relay'; index: number } | { kind: 'decode' };
export type StageKind = Stage['kind'];

const STAGE = /^(?:(base)|relay([1-9]\d{0,1})|(decode))$/;

/** `relay2` → `{ kind: 'relay', index: 2 }`; anything else is a BadRequestError naming it. */
export function parseStage(name: string): Stage {
  const m = STAGE.exec(name);
  if (!m) throw new BadRequestError('stage', `stage must be base, relay1…relay99 or decode but is "${name}"`);
  if (m[1]) return { kind: 'base' };
  if (m[3]) return { kind: 'decode' };
  return { kind: 'relay', index: Number(m[2]) };
}

export function stageName(s: Stage): string {
  return s.kind === 'relay' ? `relay${s.index}` : s.kind;
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

/** The side (px) of what a stage produces: the base resolution doubled per relay; decode is the job's size. */
export function stageSide(m: Manifest, stage: Stage, jobSize: number): number {
  if (stage.kind === 'base') return m.base.resolution;
  if (stage.kind === 'relay') return m.base.resolution * 2 ** stage.index;
  return jobSize;
}

/**
 * The size best_of judges candidates at: the first relay's output (the relay decides shape, what
 * the shapes judge looks at), or the size asked when it is smaller.
 */
export const scoringSize = (m: Manifest, size: number): number => Math.min(size, m.base.resolution * 2);

/**
 * The stage side an upscale starts from: the largest one (base × 2^k) below the target that the
 * image covers, so a small image runs every relay up and a large one only the last.
 */
export function startSide(m: Manifest, target: number, imageSide: number): number {
  let side = m.base.resolution;
  while (side * 2 < target && side * 2 <= imageSide) side *= 2;
  return side;
}
