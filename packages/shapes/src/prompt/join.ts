/**
 * Tokens that say one thing in two words, joined before parsing:
 * - a diagonal relation: "upper left of", "below and to the right of", "above-left of" (one
 *   token with two relations, both kept);
 * - one colour said twice: "navy blue", "lime green", "blood red" (one colour, not two objects);
 * - a shade for a background: "on a dark background" (black), "light backdrop" (white); "a blue sky".
 */
import { MAX_OBJECTS } from '../vocabulary.ts';
import type { Parsed } from './mention.ts';
import { nounAhead, PRONOUNS, peek, STARTS_OBJECT } from './scan.ts';
import { OPPOSITE, PLACE_KINDS, type Relation, type Token } from './tokens.ts';

type Vertical = 'above' | 'below';
type RelationToken = Token & { kind: 'relation' };

/** The vertical relation a token says: "above", "below", or a place word used as one ("upper", "top"). */
function vertical(t: Token | undefined): Vertical | undefined {
  if (
    t?.kind === 'relation' &&
    (t.rel === 'above' || t.rel === 'below') &&
    (t.read ?? t.text) !== 'on top of'
  )
    return t.rel;
  if (t?.kind === 'v') return t.v === 'top' ? 'above' : 'below';
  return undefined;
}

const horizontal = (t: Token | undefined): t is RelationToken =>
  t?.kind === 'relation' && (t.rel === 'left' || t.rel === 'right');

/** Whether an object (or "it") follows token `i`, past articles and fillers, with no frame word before it. */
function objectAfter(t: readonly Token[], i: number): boolean {
  for (let j = i + 1; j < t.length; j++) {
    const k = t[j]!;
    if (STARTS_OBJECT.has(k.kind) || PRONOUNS.has(k.text)) return true;
    if (k.kind !== 'filler') return false;
  }
  return false;
}

/** A diagonal relation starting at token `i`: how many tokens it spans, and the joined token. */
function diagonal(t: readonly Token[], i: number): [number, RelationToken] | undefined {
  for (const gap of [0, 1]) {
    const j = i + 1 + gap;
    if (gap && t[i + 1]?.kind !== 'and') continue;
    const a = t[i];
    const b = t[j];
    // "upper left of", "below and to the right of" / "to the left of and above".
    const [h, v] =
      horizontal(b) && vertical(a)
        ? [b, vertical(a)]
        : horizontal(a) && vertical(b) && b?.kind === 'relation'
          ? [a, vertical(b)]
          : [];
    if (!h || !v || !objectAfter(t, j)) continue;
    return [j - i + 1, { kind: 'relation', rel: h.rel, also: v, ...spelled(t.slice(i, j + 1)) }];
  }
  return undefined;
}

/** The words of tokens read as one: as typed, and as read where a slip was read as a word. */
function spelled(ts: readonly Token[]): { text: string; read?: string } {
  const text = ts.map((x) => x.text).join(' ');
  const read = ts.map((x) => x.read ?? x.text).join(' ');
  return read === text ? { text } : { text, read };
}

/** "one or two", "two to three", "2-3": two counts offered as alternatives. */
const alternative = (t: readonly Token[], i: number) =>
  t[i + 1]?.kind === 'count' || (/^(or|to)$/.test(t[i + 1]?.text ?? '') && t[i + 2]?.kind === 'count');

const NOUN = new Set(['shape', 'generic', 'unsupported']);

const SHADES: Record<string, 'black' | 'white'> = { dark: 'black', light: 'white', pale: 'white' };

export function joinPhrases(t: readonly Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < t.length; ) {
    const tok = t[i]!;
    const next = t[i + 1];
    const d = diagonal(t, i);
    if (d) {
      out.push(d[1]);
      i += d[0];
    } else if (tok.kind === 'count' && alternative(t, i)) {
      // "one or two circles", "2-3 dots": the count the domain can draw, if either is one.
      const to = t[i + 1]!.kind === 'count' ? i + 1 : i + 2;
      const [a, b] = [tok.n, (t[to] as Token & { kind: 'count' }).n].sort((x, y) => x - y);
      out.push({ kind: 'count', n: b! <= MAX_OBJECTS ? b! : a!, ...spelled(t.slice(i, to + 1)) });
      i = to + 1;
    } else if (tok.kind === 'colour' && next?.text === 'sky' && !NOUN.has(t[i + 2]?.kind ?? '')) {
      out.push(tok, { kind: 'background', text: next.text }); // "a blue sky with a yellow sun"
      i += 2;
    } else if (tok.kind === 'colour' && next?.kind === 'colour' && next.colour === tok.colour) {
      out.push({ ...tok, ...spelled([tok, next]) }); // "navy blue"
      i += 2;
    } else if (PLACE_KINDS.has(tok.kind) && /^thirds?$/.test(next?.text ?? '')) {
      out.push(tok, { kind: 'filler', text: next!.text }); // "the top third": the top row
      i += 2;
    } else if (SHADES[tok.text] && next?.kind === 'background') {
      out.push({ kind: 'colour', colour: SHADES[tok.text]!, text: tok.text }); // "a dark background"
      i += 1;
    } else {
      out.push(tok);
      i += 1;
    }
  }
  return out;
}

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
  if (next && STARTS_OBJECT.has(next.kind) && last >= 0)
    return {
      pending: {
        ...turn(
          tok,
          next.skipped.some((w) => PRONOUNS.has(w)),
        ),
        a: last,
        words,
      },
    };
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
