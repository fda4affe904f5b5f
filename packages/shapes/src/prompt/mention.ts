/** What the parser builds: objects as mentioned, places, and what could not be honoured. */
import { COLOURS, type Colour, MAX_OBJECTS, SHAPES, type Shape, type Size } from '../vocabulary.ts';
import type { Attr, Relation, Token } from './tokens.ts';

export interface Mention {
  colour?: Colour;
  shape?: Shape;
  size?: Size;
  v?: 'top' | 'bottom' | 'middle';
  h?: 'left' | 'right' | 'middle';
  /** "in a corner": one of the four corners. */
  corner?: boolean;
  /** The words that described the object, for messages. */
  words: string[];
  /** The place as the prompt said it (one axis or two). */
  said?: Place;
}

export interface Problem {
  words: string;
  message: string;
}

export interface Parsed {
  objects: Mention[];
  background?: Colour;
  backgroundWords?: string;
  /** a is `rel` of b: "a red circle left of a blue square". */
  relations: { a: number; rel: Relation; b: number; words: string }[];
  /** Words outside the vocabulary. */
  ignored: string[];
  /** Objects a count asked for beyond the 10 listed ("100 circles"). */
  unlisted?: number;
  /** Typing slips read as vocabulary words ("sqaure" as "square"). */
  corrected: { typed: string; read: string }[];
  /** Words understood but not drawable as stated. */
  problems: Problem[];
}

export interface Place {
  /** Read after "and" or a comma, not straight after a noun. */
  opensClause?: boolean;
  v?: 'top' | 'bottom';
  h?: 'left' | 'right';
  middle?: boolean;
  corner?: boolean;
  words: string[];
}

export interface Phrase extends Mention {
  article?: boolean;
  /** After "the". */
  definite?: boolean;
}

export const hasPlace = (m: Mention) => !!(m.v || m.h || m.corner);

export function applyPlace(m: Mention, p: Place): void {
  m.v = p.v ?? (p.middle || p.h ? 'middle' : undefined);
  m.h = p.h ?? (p.middle || p.v ? 'middle' : undefined);
  if (p.corner && !(p.v && p.h)) {
    m.corner = true;
    if (!p.v) delete m.v;
    if (!p.h) delete m.h;
  }
  m.words.push(...p.words);
  m.said = p;
}

/**
 * A second place that says the other axis of the first ("at the top, on the left": top left;
 * "at the bottom, in the middle": bottom), as one place; undefined when they do not combine.
 */
export function refine(a: Place, b: Place): Place | undefined {
  if (a.corner || b.corner) return undefined;
  const v = a.v ?? b.v;
  const h = a.h ?? b.h;
  const other = (a.v && !a.h && !b.v) || (a.h && !a.v && !b.h);
  if (!other || (a.v && b.v && a.v !== b.v) || (!b.v && !b.h && !b.middle)) return undefined;
  return {
    ...(v && { v }),
    ...(h && { h }),
    ...((!v || !h) && { middle: true }),
    words: [...a.words, ...b.words],
  };
}

/** A second colour or size in one phrase starts another object ("red, blue circles"). */
export function clash(m: Mention, tok: Token): boolean {
  // "teeny tiny": a size said twice is one size.
  return (
    (tok.kind === 'colour' && m.colour !== undefined) ||
    (tok.kind === 'size' && m.size !== undefined && m.size !== tok.size)
  );
}

export function clashes(a: Mention, b: Mention): boolean {
  return (
    (a.colour !== undefined && b.colour !== undefined) ||
    (a.size !== undefined && b.size !== undefined) ||
    (a.shape !== undefined && b.shape !== undefined) ||
    (hasPlace(a) && hasPlace(b))
  );
}

/** Why a word the language knows cannot be drawn. */
export function notDrawable(word: string, attr: Attr): string {
  if (attr === 'colour') return `"${word}" is not a palette colour (${COLOURS.join(', ')})`;
  if (attr === 'size') return `"${word}" is not a size the model draws (small, large)`;
  if (attr === 'shape') return `"${word}" is not a shape the model draws (${SHAPES.join(', ')})`;
  return `"${word}": the model draws flat, filled, upright shapes only`;
}

/** The one object already there that "the <shape>" can name (same shape, nothing contrary), or −1. */
export function namedBy(objects: readonly Mention[], m: Mention): number {
  const fits = (o: Mention) =>
    o.shape === m.shape &&
    (!o.colour || !m.colour || o.colour === m.colour) &&
    (!o.size || !m.size || o.size === m.size);
  const found = objects.flatMap((o, k) => (m.shape && fits(o) ? [k] : []));
  return found.length === 1 ? found[0]! : -1;
}

/** At most 10 objects are listed for a count; the rest are only counted, for the message. */
export function upTo(out: Parsed, n: number): number {
  if (n > 10) out.unlisted = (out.unlisted ?? 0) + n - 10;
  return Math.min(n, 10);
}

/** Adds a place word ("top", "left", "middle", "corner") to `p`; false when it contradicts `p`. */
export function extendPlace(p: Place, tok: Token): boolean {
  p.words.push(tok.text);
  if (tok.kind === 'v' || tok.kind === 'h') {
    const value = tok.kind === 'v' ? tok.v : tok.h;
    if (p[tok.kind] && p[tok.kind] !== value) return false;
    if (tok.kind === 'v') p.v = tok.v;
    else p.h = tok.h;
  } else if (tok.kind === 'middle') p.middle = true;
  else if (tok.kind === 'corner') p.corner = true;
  return true;
}

/**
 * A phrase that is only a colour, left over at the end of the prompt with objects before it and
 * no background said, and not `listed` after "and" or a comma, becomes the background: true when
 * it was taken.
 */
export function closingBackground(m: Phrase, out: Parsed, listed: boolean): boolean {
  const only = m.colour !== undefined && !m.article && !m.shape && !m.size && m.words.length === 1 && !listed;
  if (!only || !out.objects.length || out.background !== undefined || out.backgroundWords !== undefined)
    return false;
  out.background = m.colour;
  out.backgroundWords = m.words[0];
  return true;
}

/**
 * A place with no object after it: it goes to the first object without one, or refines the
 * last object's ("at the top, on the left": one place, said twice), or is a second place for
 * the only object ("a circle in the top left and bottom right": one more like it there); else
 * it is a problem.
 */
export function placeLeftOver(out: Parsed, last: number, p: Place): void {
  if (!out.objects.length) out.objects.push({ words: [] });
  const open = out.objects.find((o) => !hasPlace(o));
  const said = out.objects[last]?.said;
  const refined = said && refine(said, p);
  if (open) applyPlace(open, p);
  else if (refined) applyPlace(out.objects[last]!, refined);
  else if (out.objects.length === 1) {
    const { v: _, h: __, corner: ___, said: ____, ...like } = out.objects[0]!;
    const more: Mention = { ...like, words: [] };
    applyPlace(more, p);
    out.objects.push(more);
  } else out.problems.push({ words: p.words.join(' '), message: `no object for "${p.words.join(' ')}"` });
}

/** "circles", "shapes": a plural noun naming every object already there, once both are said. */
export function namesAll(objects: readonly Mention[], tok: Token): boolean {
  const fits = (o: Mention) => tok.kind === 'generic' || (tok.kind === 'shape' && o.shape === tok.shape);
  return !!tok.plural && objects.length >= 2 && objects.every(fits);
}

/**
 * Bare words after a noun ("a circle, large", "two circles, red and blue": `listed`) describe
 * its objects in turn; one word for a group none of them has yet ("two circles red", "two
 * circles, large") is all of theirs. Returns the objects described: none when none can take them.
 */
export function describeGroup(
  objects: Mention[],
  group: readonly number[],
  m: Phrase,
  listed: boolean,
): number[] {
  const target = group.find((k) => objects[k] && !clashes(objects[k]!, m));
  if (target === undefined) return [];
  const fresh = (o: Mention | undefined) =>
    !!o && (m.colour === undefined || !o.colour) && (m.size === undefined || !o.size);
  const all =
    group.length > 1 && !listed && !hasPlace(m) && !m.shape && group.every((k) => fresh(objects[k]));
  const took = all ? [...group] : [target];
  for (const k of took) Object.assign(objects[k]!, { ...m, words: [...objects[k]!.words, ...m.words] });
  return took;
}

/**
 * "circle red left square blue right": modifiers `after` a bare noun, before the next noun, go
 * to that noun's object `o` when it has none of them yet (the place too). True when they went.
 */
export function takeTrailing(o: Mention | undefined, np: Phrase, after: boolean): boolean {
  const free =
    after &&
    !np.article &&
    !!o &&
    (np.colour === undefined || o.colour === undefined) &&
    (np.size === undefined || o.size === undefined) &&
    !(hasPlace(np) && hasPlace(o));
  if (!free) return false;
  if (np.colour !== undefined) o.colour = np.colour;
  if (np.size !== undefined) o.size = np.size;
  o.words.push(...np.words);
  movePlace(o, np);
  return true;
}

/** Phrase `m`'s place, if it has one, becomes object `o`'s (its words are `o`'s already). */
export function movePlace(o: Mention, m: Mention): void {
  if (hasPlace(m)) Object.assign(o, { v: m.v, h: m.h, corner: m.corner, said: m.said });
}

/**
 * The place of object `o`, described again by phrase `m`: the phrase's own, else one said just
 * before it ("two circles, the left one red, …"). True when `before` was used.
 */
export function placeDescribed(o: Mention, m: Mention, before: Place | null): boolean {
  if (!hasPlace(o)) movePlace(o, m);
  if (hasPlace(o) || !before) return false;
  applyPlace(o, before);
  return true;
}

/** "two" alone, or "red circle x2": a count after its noun copies the last object (or makes bare ones). */
export function countAfter(
  out: Parsed,
  last: number,
  group: number,
  count: { n: number; words: string },
): void {
  const like: Mention = out.objects[last] ?? { words: [] };
  const from = out.objects.length ? group || 1 : 0;
  for (let k = from, cap = upTo(out, count.n); k < cap; k++)
    out.objects.push({ ...like, words: [...like.words, count.words] });
}

/** "several", "each corner": more objects than the domain draws. */
export const tooMany = (word: string) =>
  `"${word}" asks for more objects than the shapes domain's ${MAX_OBJECTS}`;
