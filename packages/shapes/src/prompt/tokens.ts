/**
 * The shapes language's words: one lexicon built from vocabulary.json, and a tokenizer that
 * turns a prompt into tokens of known kinds. Every word of the prompt becomes exactly one
 * token (multi-word phrases such as "to the left of" become one), so the parser can account
 * for each: consumed, or reported.
 */
import vocab from '../../vocabulary.json' with { type: 'json' };
import { CELLS, type Colour, type Shape, type Size, SYNONYMS } from '../vocabulary.ts';
import { correct } from './typos.ts';

/** Where one object is against another, or how big ("bigger than": sizes, not cells). */
export type Relation =
  | 'left'
  | 'right'
  | 'above'
  | 'below'
  | 'beside'
  | 'opposite'
  | 'diagonal'
  | 'inside'
  | 'bigger'
  | 'smaller'
  | 'same';
/** "a is left of b" is "b is right of a". */
export const OPPOSITE: Record<Relation, Relation> = {
  left: 'right',
  right: 'left',
  above: 'below',
  below: 'above',
  beside: 'beside',
  opposite: 'opposite',
  diagonal: 'diagonal',
  inside: 'inside',
  bigger: 'smaller',
  smaller: 'bigger',
  same: 'same',
};
export type Attr = 'colour' | 'shape' | 'size' | 'style';

/** The kinds of token that say a place: "top", "left", "middle", "corner". */
export const PLACE_KINDS: ReadonlySet<string> = new Set(['v', 'h', 'middle', 'corner']);
/** Words that open a noun phrase. */
export const ARTICLES: ReadonlySet<string> = new Set(['a', 'an', 'the', 'another']);

export type Lex =
  | { kind: 'colour'; colour: Colour }
  | { kind: 'shape'; shape: Shape }
  | { kind: 'size'; size: Size }
  | { kind: 'unsupported'; attr: Attr }
  | { kind: 'count'; n: number }
  | { kind: 'many' }
  | { kind: 'v'; v: 'top' | 'bottom' }
  | { kind: 'h'; h: 'left' | 'right' }
  | { kind: 'middle' }
  /** `also`: a diagonal's second relation ("upper left of": left, also above). */
  | { kind: 'relation'; rel: Relation; also?: Relation }
  | {
      kind:
        | 'background'
        | 'on'
        | 'and'
        | 'every'
        | 'generic'
        | 'frame'
        | 'corner'
        | 'negation'
        | 'filler'
        | 'sep'
        | 'unknown';
    };

export type Token = Lex & {
  /** The words as the prompt spelled them (lower-cased). */
  text: string;
  /** A plural noun ("circles", "boxes"). */
  plural?: boolean;
  /** The vocabulary word a slip was read as ("sqaure" → "square"); `text` keeps the slip. */
  read?: string;
};

/** "row 1", "col 3", "first row", "last column": the grid's lines, counted from the top left. */
const GRID_LINE =
  /\b(?:(row|column|col)\s*([123])|(first|second|third|last|1st|2nd|3rd)\s+(row|column|col))\b/g;
function gridLine(line: string, nth: string): string {
  const k =
    { 1: 0, first: 0, '1st': 0, 2: 1, second: 1, '2nd': 1, 3: 2, third: 2, '3rd': 2, last: 2 }[nth] ?? 1;
  return ` ${(line === 'row' ? ['top', 'middle', 'bottom'] : ['left', 'middle', 'right'])[k]} `;
}

/** Corner abbreviations, as whole words: "NW", "BR". */
const CORNERS = new Map(
  Object.entries({
    nw: 'top left',
    ne: 'top right',
    sw: 'bottom left',
    se: 'bottom right',
    tl: 'top left',
    tr: 'top right',
    bl: 'bottom left',
    br: 'bottom right',
  }).map(([short, cell]) => [short, cell.split(' ')]),
);

const W = vocab.words;

function entries(): [string, Lex][] {
  const out: [string, Lex][] = [];
  const add = (words: readonly string[], lex: Lex) => {
    for (const w of words) out.push([w, lex]);
  };
  for (const [size, ws] of Object.entries(SYNONYMS.size)) add(ws, { kind: 'size', size: size as Size });
  for (const [shape, ws] of Object.entries(SYNONYMS.shape)) add(ws, { kind: 'shape', shape: shape as Shape });
  for (const [c, ws] of Object.entries(SYNONYMS.colour)) add(ws, { kind: 'colour', colour: c as Colour });
  for (const [v, ws] of Object.entries(SYNONYMS.vertical)) add(ws, { kind: 'v', v: v as 'top' | 'bottom' });
  for (const [h, ws] of Object.entries(SYNONYMS.horizontal)) add(ws, { kind: 'h', h: h as 'left' | 'right' });
  add(SYNONYMS.middle, { kind: 'middle' });
  for (const [n, ws] of Object.entries(W.count)) add(ws, { kind: 'count', n: Number(n) });
  for (const [rel, ws] of Object.entries(W.relation)) add(ws, { kind: 'relation', rel: rel as Relation });
  for (const [attr, ws] of Object.entries(W.unsupported))
    add(ws, { kind: 'unsupported', attr: attr as Attr });
  add(W.many, { kind: 'many' });
  const simple = [
    'background',
    'on',
    'and',
    'every',
    'generic',
    'frame',
    'corner',
    'negation',
    'filler',
  ] as const;
  for (const kind of simple) add(W[kind], { kind });
  return out;
}

/** Single words, and phrases of several words (longest first). */
const WORDS = new Map<string, Lex>();
const PHRASES: [string[], Lex][] = [];
for (const [w, lex] of entries()) {
  const words = split(w);
  if (words.length === 1) {
    if (!WORDS.has(words[0]!)) WORDS.set(words[0]!, lex);
  } else PHRASES.push([words, lex]);
}
PHRASES.sort((a, b) => b[0].length - a[0].length);

/** Nouns that take a plural. */
const NOUNS = new Set(['shape', 'generic', 'background', 'corner', 'frame', 'unsupported']);

function split(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019`]/g, "'")
    .replace(/["\u201c\u201d]/g, ' ')
    .replace(/'s\b/g, '')
    .replace(/(^|\n)\s*\d{1,2}[.)](?=\s)/g, ' , ') // "1. red circle\n2. blue square": list numbers, not counts
    .replace(/[\u2022\u25e6\u25aa\u2023\u00b7]/g, ' , ') // bullets
    .replace(/\s-+\s/g, ' , ') // "two things - a circle …": a dash between words
    .replace(/[-_\u2013\u2014]/g, (m) => (m === '-' || m === '_' ? ' ' : ' , '))
    .replace(/@/g, ' at ')
    .replace(/\bone more\b/g, 'another') // "… and one more at the bottom"
    .replace(GRID_LINE, (_, line: string, n: string, nth: string, line2: string) =>
      gridLine(line ?? line2, n ?? nth),
    ) // "row 1", "third column"
    .replace(/\b(1[0-2]|[1-9])\s*o\W?\s*clock\b/g, (_, h: string) => ` ${CLOCK[Number(h)]} `) // "at 3 o'clock"
    .replace(/\bcell\s*#?\s*([1-9])\b/g, (_, n: string) => ` ${CELLS[Number(n) - 1]} `) // "cell 3": the grid read row by row
    .replace(/[*<>#~^]/g, ' ') // "***red circle***", "<red circle>"
    .replace(/\bseed\s*[:=]?\s*(\d+)\b/g, 'seed$1') // "seed 42": not a count
    .replace(/=/g, ' : ') // "colour=red"
    .replace(/(?<![a-z\d])(?:[x\u00d7]\s?(\d+)|(\d+)\s?[x\u00d7])(?![a-z\d])/g, ' $1$2 ') // "x2", "2x": a count
    .replace(/([,;:.!?()[\]{}/|&+])/g, ' $1 ')
    .split(/\s+/)
    .filter(Boolean)
    .flatMap(
      (w) =>
        CORNERS.get(w) ??
        /^(top|bottom|upper|lower)(left|right)$/.exec(w)?.slice(1) ??
        /^(north|south)(east|west)$/.exec(w)?.slice(1) ?? [w],
    );
}

/** Clock-face positions as cells: 12 is the top, 3 the right. */
const CLOCK = [
  '',
  'top right',
  'top right',
  'right',
  'bottom right',
  'bottom right',
  'bottom',
  'bottom left',
  'bottom left',
  'left',
  'top left',
  'top left',
  'top',
];

const SEPARATORS = new Set([',', ';', ':', '.', '!', '?', '(', ')', '[', ']', '{', '}', '/', '|']);

/** The lexicon entry for one word, allowing regular plurals of nouns. */
function known(word: string): { lex: Lex; plural: boolean } {
  const lex = WORDS.get(word);
  if (lex) return { lex, plural: false };
  for (const [suffix, repl] of [
    ['ies', 'y'],
    ['es', ''],
    ['s', ''],
  ] as const) {
    if (!word.endsWith(suffix) || word.length <= suffix.length + 1) continue;
    const singular = WORDS.get(word.slice(0, -suffix.length) + repl);
    if (
      singular &&
      NOUNS.has(singular.kind) &&
      !(singular.kind === 'unsupported' && singular.attr !== 'shape')
    )
      return { lex: singular, plural: true };
  }
  if (SEPARATORS.has(word)) return { lex: { kind: 'sep' }, plural: false };
  if (/^\d+$/.test(word)) return { lex: { kind: 'count', n: Number(word) }, plural: false };
  return { lex: { kind: 'unknown' }, plural: false };
}

/** Words that only occur inside phrases ("next" of "next to"): never read as slips. */
const PHRASE_WORDS = new Set(PHRASES.flatMap(([ws]) => ws));

/** The word a typing slip was meant to be ("sqaure" → "square", "trianlges" → "triangles"), else the word. */
function unslip(word: string): string {
  if (known(word).lex.kind !== 'unknown' || PHRASE_WORDS.has(word)) return word;
  // "biiig", "reeeed": a letter held down.
  for (const held of [word.replace(/(.)\1{2,}/g, '$1'), word.replace(/(.)\1{2,}/g, '$1$1')])
    if (held !== word && known(held).lex.kind !== 'unknown') return held;
  const read = correct(word);
  if (read) return read;
  const stem = word.endsWith('s') ? correct(word.slice(0, -1)) : undefined;
  if (!stem) return word;
  return known(`${stem}s`).lex.kind !== 'unknown' ? `${stem}s` : stem;
}

/** Kinds a word run together with another can have ("redcircle", "bluesquares", "topcentre"). */
const JOINABLE = new Set(['colour', 'shape', 'size', ...PLACE_KINDS, 'background', 'generic']);

/** English words that would read as two domain words ("upright"): written by scripts/not-typos.ts. */
const NOT_JOINED = new Set<string>(W.not_joined);

/** Domain words typed as one ("redcircle", "bigbluebox") become those words; else the word itself. */
function unjoin(word: string): string[] {
  if (known(word).lex.kind !== 'unknown' || NOT_JOINED.has(word)) return [word];
  return joined(word) ?? [word];
}

/**
 * The domain words (up to `parts`) that `word` runs together, if it is made of nothing else.
 * A whole word that `split` already splits ("northeast") is not joined; the end of one is
 * ("…circletopleft": "top", "left").
 */
export function joined(word: string, parts = 5, inner = false): string[] | undefined {
  const pieces = split(word);
  if (pieces.length !== 1)
    return inner && pieces.length <= parts && pieces.every((p) => JOINABLE.has(known(p).lex.kind))
      ? pieces
      : undefined;
  if (JOINABLE.has(known(word).lex.kind)) return [word];
  if (parts < 2) return undefined;
  for (let k = 2; k <= word.length - 2; k++) {
    if (!JOINABLE.has(known(word.slice(0, k)).lex.kind)) continue;
    const rest = joined(word.slice(k), parts - 1, true);
    if (rest) return [word.slice(0, k), ...rest];
  }
  return undefined;
}

export function tokenize(prompt: string): Token[] {
  const typed = split(prompt).flatMap(unjoin);
  // Slips first, so "righ of" is the phrase "right of".
  const words = typed.map(unslip);
  const tokens: Token[] = [];
  for (let i = 0; i < words.length; ) {
    const phrase = PHRASES.find(([ws]) => ws.every((w, k) => words[i + k] === w));
    const n = phrase ? phrase[0].length : 1;
    const text = typed.slice(i, i + n).join(' ');
    const fixed = words.slice(i, i + n).join(' ');
    const slip = fixed !== text ? { read: fixed } : {};
    if (phrase) tokens.push({ ...phrase[1], text, ...slip });
    else {
      const { lex, plural } = known(words[i]!);
      tokens.push({ ...lex, text, ...(plural && { plural }), ...slip });
    }
    i += n;
  }
  return tokens;
}

/** Every word the lexicon knows, by kind (for `baton vocab` and /v1/models). */
export function lexiconWords(): Map<string, Lex> {
  return new Map([...WORDS, ...PHRASES.map(([ws, lex]) => [ws.join(' '), lex] as const)]);
}
