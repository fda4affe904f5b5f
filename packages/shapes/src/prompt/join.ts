/**
 * Tokens that say one thing in two words, joined before parsing:
 * - a diagonal relation: "upper left of", "below and to the right of", "above-left of" (one
 *   token with two relations, both kept);
 * - counts offered as alternatives: "one or two", "2-3" (the count the domain draws);
 * - one colour said twice: "navy blue", "lime green" (one colour, not two objects);
 * - a background: "a blue sky", "on a dark background" (black), "light backdrop" (white);
 * - "the top third": the top row.
 */
import { MAX_OBJECTS } from '../vocabulary.ts';
import { PRONOUNS, STARTS_OBJECT } from './scan.ts';
import { PLACE_KINDS, type Token } from './tokens.ts';

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
