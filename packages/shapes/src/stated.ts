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
  let matched = 0;
  const assignments = orders(Math.min(want.length, found.objects.length), found.objects.length);
  for (const order of assignments) {
    let m = +(p.stated.background && found.background === p.scene.background);
    order.forEach((k, i) => {
      const s = p.stated.objects[i]!;
      for (const a of ATTRIBUTES) if (s[a] && found.objects[k]![a] === want[i]![a]) m++;
    });
    const r = p.stated.relation;
    const at = (i: number): SceneObject | undefined => found.objects[order[i] ?? -1];
    if (r && at(r.a) && at(r.b) && holds(r.rel, at(r.a)!.cell, at(r.b)!.cell)) m++;
    matched = Math.max(matched, m);
  }
  return { attributes, matched, aligned: matched === attributes && found.objects.length === want.length };
}
