/** Looking ahead in a prompt's tokens: what the parser needs to decide before it consumes a word. */
import { clash, type Mention, namesAll, type Parsed, type Phrase } from './mention.ts';
import { ARTICLES, PLACE_KINDS, type Token } from './tokens.ts';

export const STARTS_OBJECT = new Set(['colour', 'size', 'shape', 'unsupported', 'count', 'generic', 'many']);
/** Relations that speak of the two objects together ("two circles side by side"). */
const PAIRWISE = new Set([
  'side by side',
  'stacked horizontally',
  'arranged horizontally',
  'in a row',
  'stacked vertically',
  'vertically stacked',
  'arranged vertically',
  'far apart',
  'on opposite sides',
  'at opposite ends',
  'opposite each other',
  'in opposite corners',
  'at opposite corners',
  'diagonally opposite',
  'the opposite corner',
  'opposite corner',
  'the opposite side',
  'opposite side',
  'the same size',
  'same size',
  'of equal size',
  'of the same size',
  'equally sized',
  'equal sized',
  'equal size',
  'same sized',
  'identical in size',
]);
export const PRONOUNS = new Set(['it', 'them', 'that', 'this', 'one', 'each other', 'one another']);

/** The next unused token from `from` that is not a filler (or frame word); its index in `at`. */
export function peek(
  t: readonly Token[],
  used: readonly boolean[],
  from: number,
): (Token & { at: number; skipped: string[] }) | undefined {
  const skipped: string[] = [];
  for (let j = from; j < t.length; j++) {
    const tok = t[j]!;
    if (used[j]) continue;
    if (tok.kind !== 'filler' && tok.kind !== 'frame') return { ...tok, at: j, skipped };
    skipped.push(tok.text);
  }
  return undefined;
}

/** Whether a noun comes after token `i` before the clause ends. */
export function nounAhead(
  t: readonly Token[],
  used: readonly boolean[],
  i: number,
  acrossCommas = false,
): boolean {
  for (let j = i + 1; j < t.length; j++) {
    const tok = t[j]!;
    if (used[j]) continue;
    const between = // "a big, blue square"
      tok.text === ',' &&
      ['colour', 'size', 'shape'].includes(t[j + 1]?.kind ?? '') &&
      !used[j - 1] &&
      ['colour', 'size'].includes(t[j - 1]?.kind ?? '');
    if ((tok.kind === 'sep' && !between && !acrossCommas) || tok.kind === 'and') return false;
    if (
      tok.kind === 'shape' ||
      tok.kind === 'generic' ||
      (tok.kind === 'unsupported' && tok.attr === 'shape')
    )
      return true;
  }
  return false;
}

/**
 * Token `i` as the parser should read it: a relation before an object ("left of a square",
 * "below it" once there are two objects), else a place ("right of the canvas", a bare
 * "below"), or nothing ("near the top", "on top of a green background").
 */
export function placeOrRelation(
  t: readonly Token[],
  used: readonly boolean[],
  i: number,
  last: number,
): Token {
  const tok = t[i]!;
  if (tok.kind !== 'relation') return tok;
  const next = peek(t, used, i + 1);
  const rest = t.slice(i + 1, next?.at ?? t.length);
  const frame = rest.some((r) => r.kind === 'frame' || r.kind === 'background');
  const pronoun = rest.some((r) => PRONOUNS.has(r.text));
  if (next && STARTS_OBJECT.has(next.kind) && !frame) return tok;
  if ((pronoun || PAIRWISE.has(tok.read ?? tok.text)) && !frame && last >= 1) return tok;
  if (pronoun && !frame && last === 0 && nounAhead(t, used, i, true)) return tok; // "a circle and, below it, a square"
  const ground = rest.some((r) => r.kind === 'background');
  if (ground && (tok.rel === 'above' || tok.rel === 'below')) return { kind: 'filler', text: tok.text };
  if (tok.rel === 'left' || tok.rel === 'right') return { kind: 'h', h: tok.rel, text: tok.text };
  if (tok.rel === 'above') return { kind: 'v', v: 'top', text: tok.text };
  if (tok.rel === 'below') return { kind: 'v', v: 'bottom', text: tok.text };
  return { kind: 'filler', text: tok.text };
}

const FIELD_LABELS = new Set(['shape', 'colour', 'color', 'size', 'position', 'location', 'placement']);
const isField = (t: readonly Token[], i: number) =>
  FIELD_LABELS.has(t[i]?.text ?? '') && t[i + 1]?.text === ':';

const FIELD = (label: string) =>
  label === 'color' ? 'colour' : ['location', 'placement'].includes(label) ? 'position' : label;

/**
 * "size: large; shape: circle, colour=red": the fields of one object. The labels, their colons
 * and the separators between fields are marked used, so the parser reads "large circle red".
 * A field said again starts the next object ("shape: circle, colour: red; shape: square, …").
 */
export function takeFields(t: readonly Token[], used: boolean[]): void {
  let seen = new Set<string>();
  for (let i = 0; i < t.length; i++) {
    if (used[i]) continue;
    if (isField(t, i)) {
      const field = FIELD(t[i]!.text);
      used[i] = used[i + 1] = true;
      if (seen.size && !seen.has(field) && t[i - 1]?.kind === 'sep') used[i - 1] = true;
      if (seen.has(field)) seen = new Set();
      seen.add(field);
      i++;
    } else if (t[i]!.kind === 'and' || (t[i]!.kind === 'sep' && !isField(t, i + 1))) seen = new Set();
  }
}

/** "not red", "no background": the rest of the clause is a negation, which cannot be drawn. */
export function takeNegation(t: readonly Token[], used: boolean[], i: number, out: Parsed): void {
  const words = [t[i]!.text];
  for (let j = i + 1; j < t.length && !['sep', 'and'].includes(t[j]!.kind); j++) {
    if (!used[j]) words.push(t[j]!.text);
    if (!used[j] && t[j]!.kind === 'unknown') out.ignored.push(t[j]!.text);
    used[j] = true;
  }
  const said = words.join(' ');
  out.problems.push({ words: said, message: `cannot draw a negation ("${said}")` });
}

/** Words after "the <noun>" that make it name an object already there ("the circle is red"). */
export const PREDICATES = new Set([
  'is',
  'are',
  'was',
  'should',
  'must',
  'will',
  'needs',
  'has',
  'sits',
  'looks',
]);

/**
 * Whether the token after `i` describes an object (a colour, size or shape, no article
 * between); given `np`, one that does not clash with it.
 */
export function describedAhead(t: readonly Token[], i: number, np?: Phrase): boolean {
  const next = t[i + 1];
  if (!next || !['colour', 'size', 'shape', 'unsupported'].includes(next.kind)) return false;
  return !np || !clash(np, next);
}

/**
 * Words that only join what is around them: the comma in "a large, red circle", and "one" in
 * "two circles, one red, one blue" (it picks the next of the counted objects, as "a … one" does).
 */
export function passOver(
  t: readonly Token[],
  used: readonly boolean[],
  i: number,
  np: Phrase | null,
  counted: boolean,
): boolean {
  const tok = t[i]!;
  if (tok.kind === 'sep' && (tok.text === ',' || tok.text === '/'))
    return !!np && describedAhead(t, i, np) && !afterNoun(t, used, i);
  return tok.kind === 'count' && tok.text === 'one' && !np && counted && describedAhead(t, i);
}

/** "circle red," / "circle in red,": the modifiers before token `i` follow a noun (so a comma ends them). */
function afterNoun(t: readonly Token[], used: readonly boolean[], i: number): boolean {
  let j = i - 1;
  const passed = new Set(['colour', 'size', 'filler', ...PLACE_KINDS]); // "circle top red, square"
  // "circles, large, red and blue": still after the noun (not "a dot, large, white triangle").
  const tail = !nounAhead(t, used, i);
  const comma = (k: number) => tail && t[k]!.text === ',';
  while (j >= 0 && (used[j] || comma(j) || (passed.has(t[j]!.kind) && !ARTICLES.has(t[j]!.text)))) j--;
  const noun = t[j];
  return !!noun && (noun.kind === 'shape' || (noun.kind === 'generic' && !noun.plural)); // not "two things"
}

/** Token `i` ("and", ",") ends a place and another place follows: "… left and right" (or `i` is that place: "… left right"). */
export function placeListed(t: readonly Token[], used: readonly boolean[], i: number): boolean {
  const tok = t[i];
  if (tok && PLACE_KINDS.has(tok.kind)) return true;
  if (!tok || !(tok.kind === 'and' || tok.text === ',')) return false;
  let next = peek(t, used, i + 1);
  while (next?.kind === 'on') next = peek(t, used, next.at + 1); // "… and on the right"
  return !!next && PLACE_KINDS.has(next.kind);
}

/** The prompt's last word follows "and" or a comma: "…, red and blue" (not "red circle top left white"). */
export function endsList(t: readonly Token[], used: readonly boolean[]): boolean {
  const skip = (j: number, seps: boolean) => {
    while (j >= 0 && (used[j] || t[j]!.kind === 'filler' || (seps && t[j]!.kind === 'sep'))) j--;
    return j;
  };
  const before = t[skip(skip(t.length - 1, true) - 1, false)];
  return before?.kind === 'and' || before?.kind === 'sep';
}

/**
 * "both", "each", "all" at token `i`: "both green" describes every object so far (`every`);
 * "both circles" counts two new ones, unless both are already said ("…, both circles large":
 * the noun is taken here and the words after it describe them).
 */
export function readEvery(
  t: readonly Token[],
  used: boolean[],
  i: number,
  objects: readonly Mention[],
): { every: boolean; tooMany: boolean; plain?: boolean } {
  // "both a red circle and a blue one": "both … and" joins two phrases, each its own object.
  if (/^(a|an)$/.test(t[i + 1]?.text ?? '')) return { every: false, tooMany: false, plain: true };
  const next = peek(t, used, i + 1);
  const kind = next?.kind ?? '';
  const again = !!next && namesAll(objects, next);
  if (again) used[next.at] = true;
  const tooMany = kind === 'corner' || kind === 'count';
  return { every: again || !['shape', 'generic', 'corner', 'count'].includes(kind), tooMany };
}

/**
 * More bare modifiers of the same kind follow token `i` ("…, red and blue", "…, red, and blue",
 * "…, one red and one blue"): a list, describing the objects in turn.
 */
export function listAhead(t: readonly Token[], used: readonly boolean[], i: number, m: Phrase): boolean {
  const skipped = (x: Token) => ['filler', 'and'].includes(x.kind) || x.text === ',' || x.text === 'one';
  // "red (left) and blue (right)": an aside in brackets does not end the list.
  const aside = (j: number) => (t[j]?.text === '(' ? t.findIndex((x, k) => k > j && x.text === ')') : -1);
  let j = i;
  do {
    j = Math.max(j, aside(j)) + 1;
    while (t[j] && (used[j] || skipped(t[j]!))) j++;
  } while (aside(j) >= 0);
  return (
    (m.colour !== undefined && t[j]?.kind === 'colour') || (m.size !== undefined && t[j]?.kind === 'size')
  );
}
