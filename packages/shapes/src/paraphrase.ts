/**
 * Short prompts the way people type them, for a known scene: a template grammar with
 * synonyms, word orders, punctuation, optional words, lists, counts and relations. Each
 * paraphrase says which of the scene's attributes it states, so a prompt is judged only
 * on what it says (the property test of the parser, and `baton eval --prompts short`).
 */
import { type Relation, tokenize } from './prompt/tokens.ts';
import { slips, TYPO_TARGETS } from './prompt/typos.ts';
import { pick, type Random, type Scene, type SceneObject } from './scene.ts';
import { CELLS, type Cell, type Colour, SYNONYMS } from './vocabulary.ts';

export type Attribute = 'colour' | 'shape' | 'size' | 'cell';

export interface Stated {
  background: boolean;
  objects: Record<Attribute, boolean>[];
  /** "a left of b" in place of both objects' cells. */
  relation?: {
    a: number;
    rel: Exclude<Relation, 'inside' | 'bigger' | 'smaller' | 'same' | 'opposite' | 'diagonal'>;
    b: number;
  };
}

export interface Paraphrase {
  prompt: string;
  /** The scene, objects in the order the prompt names them. */
  scene: Scene;
  stated: Stated;
}

const chance = (rng: Random, p: number) => rng.uniform() < p;
const an = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');
/** Mostly the plain word, sometimes a synonym. */
const word = (rng: Random, plain: string, synonyms: readonly string[]) =>
  chance(rng, 0.6)
    ? plain
    : pick(
        rng,
        synonyms.filter((w) => !w.includes(' ')),
      );
const NOT_NOUNS = new Set(['round', 'circular', 'triangular', 'squared', 'tri']);
const GENERIC = ['shape', 'object', 'thing', 'figure', 'item'];

function plural(noun: string): string {
  return /(x|s|sh|ch)$/.test(noun) ? `${noun}es` : `${noun}s`;
}

const rowOf = (c: Cell) => Math.floor(CELLS.indexOf(c) / 3);
const colOf = (c: Cell) => CELLS.indexOf(c) % 3;

/** How a cell is said: "top left", "in the upper-left corner", "on the left side", "centre". */
export function placePhrase(rng: Random, cell: Cell): string {
  const v = [pick(rng, ['top', 'upper']), null, pick(rng, ['bottom', 'lower'])][rowOf(cell)];
  const h = ['left', null, 'right'][colOf(cell)];
  const mid = pick(rng, ['center', 'centre', 'middle']);
  if (v && h) {
    const vh = pick(rng, [
      `${v} ${h}`,
      `${v}-${h}`,
      `${h} ${v === 'upper' ? 'top' : v === 'lower' ? 'bottom' : v}`,
    ]);
    return pick(rng, [
      vh,
      `in the ${vh}`,
      `in the ${vh} corner`,
      `at the ${vh}`,
      `${vh} corner`,
      `in the ${vh} of the image`,
      `${vh} of the canvas`,
      `placed ${vh}`,
    ]);
  }
  if (v)
    return pick(rng, [
      `at the ${v === 'upper' ? 'top' : v === 'lower' ? 'bottom' : v}`,
      v,
      `${v} ${mid}`,
      `at the ${v} ${mid}`,
      `${mid} ${v}`,
      `along the ${v === 'upper' ? 'top' : v === 'lower' ? 'bottom' : v} edge`,
      `at the ${v === 'upper' ? 'top' : v === 'lower' ? 'bottom' : v} of the picture`,
    ]);
  if (h)
    return pick(rng, [
      `on the ${h}`,
      h,
      `to the ${h}`,
      `on the ${h} side`,
      `${mid} ${h}`,
      `${h} ${mid}`,
      `on the ${h}-hand side`,
      `at the ${h} edge`,
      `in the ${mid} on the ${h}`,
    ]);
  return pick(rng, [
    `in the ${mid}`,
    mid,
    `in the ${mid} of the image`,
    'centered',
    `at the ${mid}`,
    `dead ${mid}`,
  ]);
}

function nounPhrase(rng: Random, o: SceneObject, s: Record<Attribute, boolean>, article = true): string {
  const size = s.size ? word(rng, o.size, SYNONYMS.size[o.size]) : '';
  const colour = s.colour ? word(rng, o.colour, SYNONYMS.colour[o.colour]) : '';
  const noun = s.shape
    ? word(
        rng,
        o.shape,
        SYNONYMS.shape[o.shape].filter((w) => !NOT_NOUNS.has(w)),
      )
    : pick(rng, GENERIC);
  const mods = (chance(rng, 0.8) ? [size, colour] : [colour, size]).filter(Boolean);
  // "a large, red circle": now and then a comma between the modifiers.
  const core = [mods.join(chance(rng, 0.1) ? ', ' : ' '), noun].filter(Boolean).join(' ');
  if (!article) return core;
  const art = pick(rng, ['a', 'a', 'a', 'the', 'one', '']);
  return art === 'a' ? `${an(core)} ${core}` : art ? `${art} ${core}` : core;
}

/** "shape: circle, colour: red, position: top left", the fields in any order. */
function fields(rng: Random, o: SceneObject, s: Record<Attribute, boolean>): string {
  const out = [
    s.shape && `shape${pick(rng, [': ', '='])}${o.shape}`,
    s.colour && `${pick(rng, ['colour', 'color'])}${pick(rng, [': ', '='])}${o.colour}`,
    s.size && `size: ${word(rng, o.size, SYNONYMS.size[o.size])}`,
    s.cell && `${pick(rng, ['position', 'location'])}: ${o.cell}`,
  ].filter((x): x is string => !!x);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out.join(pick(rng, [', ', '; ']));
}

/** An object and its place, the place after it or leading into it ("top left: a red circle"). */
function objectPhrase(rng: Random, o: SceneObject, s: Record<Attribute, boolean>, first = true): string {
  if (first && s.shape && chance(rng, 0.05)) return fields(rng, o, s);
  const np = nounPhrase(rng, o, s);
  if (!s.cell) return np;
  const place = placePhrase(rng, o.cell);
  return chance(rng, 0.75)
    ? `${np}${pick(rng, [' ', ' ', ', ', ' sitting ', ' positioned '])}${place}`
    : `${place}${pick(rng, first ? [' ', ': ', ', '] : [' ', ': '])}${np}`;
}

function backgroundPhrase(rng: Random, c: Colour): { text: string; final: boolean } {
  const w = word(rng, c, SYNONYMS.colour[c]);
  const text = pick(rng, [
    `on ${an(w)} ${w} background`,
    `on ${w}`,
    `on ${an(w)} ${w}`,
    `${w} background`,
    `with ${an(w)} ${w} background`,
    `against ${an(w)} ${w} backdrop`,
    `background: ${w}`,
    `with a background of ${w}`,
    `over ${an(w)} ${w} bg`,
    `the background is ${w}`,
    `set against ${w}`,
    `${w} bg`,
    `${w}`,
  ]);
  return { text, final: text === w || text.startsWith('on') || text.startsWith('over') };
}

function relationOf(rng: Random, scene: Scene): Stated['relation'] | undefined {
  const [a, b] = scene.objects;
  if (!a || !b || !chance(rng, 0.35)) return undefined;
  if (rowOf(a.cell) === rowOf(b.cell))
    return { a: 0, rel: colOf(a.cell) < colOf(b.cell) ? 'left' : 'right', b: 1 };
  if (colOf(a.cell) === colOf(b.cell))
    return { a: 0, rel: rowOf(a.cell) < rowOf(b.cell) ? 'above' : 'below', b: 1 };
  return undefined;
}

const RELATION_WORDS: Record<
  Exclude<Relation, 'inside' | 'bigger' | 'smaller' | 'same' | 'opposite' | 'diagonal'>,
  string[]
> = {
  left: ['left of', 'to the left of', 'on the left of'],
  right: ['right of', 'to the right of', 'on the right of'],
  above: ['above', 'on top of', 'over', 'higher than'],
  below: ['below', 'under', 'beneath', 'underneath', 'lower than'],
  beside: ['beside', 'next to'],
};

/** Joins two object phrases: lists, "and", relations. */
function twoObjects(rng: Random, scene: Scene, s: Stated): string {
  const [a, b] = scene.objects as [SceneObject, SceneObject];
  const [sa, sb] = s.objects as [Record<Attribute, boolean>, Record<Attribute, boolean>];
  if (s.relation)
    return `${nounPhrase(rng, a, sa)} ${pick(rng, RELATION_WORDS[s.relation.rel])} ${nounPhrase(rng, b, sb)}`;
  const sameNoun =
    a.shape === b.shape && sa.shape && sb.shape && !sa.cell && !sb.cell && sa.colour && sb.colour;
  if (sameNoun && sa.size === sb.size && (!sa.size || a.size === b.size) && chance(rng, 0.4)) {
    const noun = word(
      rng,
      a.shape,
      SYNONYMS.shape[a.shape].filter((w) => !NOT_NOUNS.has(w)),
    );
    const size = sa.size ? `${a.size} ` : '';
    return pick(rng, [
      `${an(size || a.colour)} ${size}${a.colour} and ${an(size || b.colour)} ${size}${b.colour} ${noun}`,
      `${size}${a.colour} and ${b.colour} ${plural(noun)}`,
      `two ${size}${plural(noun)}, ${a.colour} and ${b.colour}`,
      `${an(size || a.colour)} ${size}${a.colour} ${noun} and ${an(size || b.colour)} ${size}${b.colour} one`,
    ]);
  }
  if (a.shape === b.shape && sa.shape && sb.shape && sa.colour && sb.colour && chance(rng, 0.15)) {
    // "two triangles, a red one on the left and a small blue one"
    const one = (o: SceneObject, so: Record<Attribute, boolean>) => {
      const core = `${so.size ? `${o.size} ` : ''}${o.colour} one`;
      return `${an(core)} ${core}${so.cell ? ` ${placePhrase(rng, o.cell)}` : ''}`;
    };
    return `two ${plural(a.shape)}${pick(rng, [', ', ': '])}${one(a, sa)} and ${one(b, sb)}`;
  }
  const first = objectPhrase(rng, a, sa);
  const second = objectPhrase(rng, b, sb, false);
  if (chance(rng, 0.2))
    return `${pick(rng, ['two shapes', '2 objects', 'a pair of shapes', 'two things'])}${pick(rng, [': ', ' - ', ', '])}${first}${pick(rng, [', ', ' and ', '; '])}${second}`;
  return `${first}${pick(rng, [' and ', ', ', ', and ', ' plus ', ' with ', '; ', ' & ', ' as well as '])}${second}`;
}

function statedFor(rng: Random, scene: Scene): Stated {
  const objects = scene.objects.map(() => ({
    colour: chance(rng, 0.75),
    shape: chance(rng, 0.75),
    size: chance(rng, 0.5),
    cell: chance(rng, 0.55),
  }));
  const relation = relationOf(rng, scene);
  if (relation) for (const o of objects) o.cell = false;
  return { background: chance(rng, 0.6), objects, ...(relation && { relation }) };
}

/** A short prompt for `scene`, and what it states. */
export function paraphrase(rng: Random, scene: Scene): Paraphrase {
  const stated = statedFor(rng, scene);
  const body =
    scene.objects.length === 2
      ? twoObjects(rng, scene, stated)
      : objectPhrase(rng, scene.objects[0]!, stated.objects[0]!);
  let prompt = body;
  if (stated.background) {
    const bg = backgroundPhrase(rng, scene.background);
    const lead = !bg.final && chance(rng, 0.3);
    prompt = lead
      ? `${bg.text}, ${body}`
      : `${body}${bg.final ? ', ' : pick(rng, [', ', ' ', '. '])}${bg.text}`;
  }
  if (chance(rng, 0.1)) prompt = slip(rng, prompt);
  prompt = `${pick(rng, ['', '', '', 'draw ', 'please draw ', 'an image of ', 'a picture of ', 'show me ', 'i want ', 'make '])}${prompt}${pick(rng, ['', '', '', '.', '!', ' please'])}`;
  const caseStyle = rng.uniform();
  if (caseStyle < 0.2) prompt = prompt[0]!.toUpperCase() + prompt.slice(1);
  else if (caseStyle < 0.25) prompt = prompt.toUpperCase();
  return { prompt, scene, stated };
}

/** One typing slip in one of the prompt's plain words ("squre", "yelow"), as people make them. */
function slip(rng: Random, prompt: string): string {
  const words = prompt.split(' ');
  const at = [...words.keys()].filter((i) => TYPO_TARGETS.includes(words[i]!.replace(/[^a-z]/g, '')));
  if (!at.length) return prompt;
  const i = pick(rng, at);
  const plain = words[i]!.replace(/[^a-z]/g, '');
  const typed = pick(
    rng,
    [...slips(plain)].filter((s) => tokenize(s)[0]?.read === plain), // "circles" is no slip
  );
  words[i] = words[i]!.replace(plain, typed);
  return words.join(' ');
}
