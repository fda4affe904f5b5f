/**
 * Relations between the two objects, as the parser reads them: one token says one relation, or
 * two for a diagonal ("upper left of"); said through a pronoun it is turned round ("a circle
 * and, below it, a square"); said before both objects, it waits for them ("left of a square,
 * a circle").
 */
import type { Parsed } from './mention.ts';
import { nounAhead, PRONOUNS, peek, STARTS_OBJECT } from './scan.ts';
import { OPPOSITE, PLACE_KINDS, type Relation, type Token } from './tokens.ts';

type RelationToken = Token & { kind: 'relation' };

/** The relations one relation token says: one, or two for a diagonal. */
export const relationsOf = (r: { rel: Relation; also?: Relation }): Relation[] =>
  r.also ? [r.rel, r.also] : [r.rel];

/** A relation token's relations, turned round when `turned` ("a circle, and below it a square": the square is below). */
export function turn(
  r: { rel: Relation; also?: Relation },
  turned = true,
): { rel: Relation; also?: Relation } {
  const flip = (x: Relation) => (turned ? OPPOSITE[x] : x);
  return r.also ? { rel: flip(r.rel), also: flip(r.also) } : { rel: flip(r.rel) };
}

export type Pending = { rel: Relation; also?: Relation; a: number; words: string };

/**
 * The relation token at `i`, after object `last`: a relation to the object coming next
 * ("left of a square"; "above it a circle", turned round), relations with the object before
 * ("… and a square below it"), or a problem.
 */
export function readRelation(
  t: readonly Token[],
  used: readonly boolean[],
  i: number,
  last: number,
): { pending?: Pending; now?: Parsed['relations']; problem?: string } {
  const tok = t[i] as RelationToken;
  const next = peek(t, used, i + 1);
  const words = tok.text;
  if (tok.rel === 'inside')
    return { problem: `"${words}": objects never overlap in this domain; they are drawn apart` };
  // "left of a square"; "above it a circle": turned round, the circle is the one above.
  const turned = !!next?.skipped.some((w) => PRONOUNS.has(w));
  if (next && STARTS_OBJECT.has(next.kind) && last >= 0)
    return { pending: { ...turn(tok, turned), a: last, words } };
  if (last >= 1) return { now: relationsOf(tok).map((rel) => ({ a: last, rel, b: last - 1, words })) }; // "… below it"
  if (last === 0 && nounAhead(t, used, i, true)) return { pending: { ...turn(tok), a: 0, words } }; // "a circle and, below it, a square"
  // "to the right of a circle, a square": `a` −1 until the first object is said.
  if (last < 0 && next && STARTS_OBJECT.has(next.kind))
    return { pending: { ...turn(tok, false), a: -1, words } };
  return { problem: `"${words}" has no object before it` };
}

/** A pending relation, now that its second object (index `b`) is said. */
export const relationsTo = (r: Pending, b: number): Parsed['relations'] =>
  relationsOf(r).map((rel) => ({ a: r.a, rel, b, words: r.words }));

/** "a circle over a square": "on"/"over" at `i` relates object `last` to a noun ahead (not "on the right side"). */
export function overObject(t: readonly Token[], used: readonly boolean[], i: number, last: number): boolean {
  const next = peek(t, used, i + 1)?.kind ?? '';
  if (PLACE_KINDS.has(next) || next === 'relation') return false;
  return last >= 0 && nounAhead(t, used, i);
}
