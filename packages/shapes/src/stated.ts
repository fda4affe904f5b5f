/**
 * Judging on what a prompt states, and nothing else: a scene (an expansion's, or what the
 * judge detected in an image) against a paraphrase's stated attributes. Objects are matched
 * to the prompt's in the best order, since a prompt may name them in any.
 */
import type { Attribute, Paraphrase } from './paraphrase.ts';
import { holds } from './prompt/cells.ts';
import type { Scene, SceneObject } from './scene.ts';

export interface StatedVerdict {
  /** Stated attributes (a relation counts as one), and how many the scene has. */
  attributes: number;
  matched: number;
  /** The count, and every stated attribute, right. */
  aligned: boolean;
  count: boolean;
  /** Judged only where stated (absent: the prompt did not say), under the best matching. */
  background?: boolean;
  relation?: boolean;
  objects: Partial<Record<Attribute, boolean>>[];
}

const ATTRIBUTES: Attribute[] = ['colour', 'shape', 'size', 'cell'];

function orders(n: number, m: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (const rest of orders(n - 1, m))
    for (let k = 0; k < m; k++) if (!rest.includes(k)) out.push([...rest, k]);
  return out;
}

export function judgeStated(found: Scene, p: Pick<Paraphrase, 'scene' | 'stated'>): StatedVerdict {
  const want = p.scene.objects;
  const attributes =
    +p.stated.background +
    p.stated.objects.reduce((n, s) => n + ATTRIBUTES.filter((a) => s[a]).length, 0) +
    +!!p.stated.relation;
  const background = p.stated.background ? found.background === p.scene.background : undefined;
  let best: { matched: number; objects: StatedVerdict['objects']; relation?: boolean } = {
    matched: -1,
    objects: [],
  };
  for (const order of orders(Math.min(want.length, found.objects.length), found.objects.length)) {
    const at = (i: number): SceneObject | undefined => found.objects[order[i] ?? -1];
    const objects = want.map((w, i) => {
      const s = p.stated.objects[i]!;
      return Object.fromEntries(ATTRIBUTES.filter((a) => s[a]).map((a) => [a, at(i)?.[a] === w[a]]));
    });
    const r = p.stated.relation;
    const relation = r ? !!(at(r.a) && at(r.b) && holds(r.rel, at(r.a)!.cell, at(r.b)!.cell)) : undefined;
    const matched =
      +!!background + +!!relation + objects.reduce((n, o) => n + Object.values(o).filter(Boolean).length, 0);
    if (matched > best.matched) best = { matched, objects, ...(relation !== undefined && { relation }) };
  }
  const count = found.objects.length === want.length;
  const { matched, ...judged } = best;
  return {
    attributes,
    matched,
    aligned: matched === attributes && count,
    count,
    ...(background !== undefined && { background }),
    ...judged,
  };
}
