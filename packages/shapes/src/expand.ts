/**
 * Prompt expansion for the shapes domain: a short, loose prompt → a canonical caption.
 *
 * Maps synonyms, keeps every attribute the prompt states and fills every open
 * one from the request's seed, so the same prompt and seed give the same caption
 * (docs/shapes-domain.md, "Short prompts").
 */
import { PortableNoise } from '@baton/diffusion';
import { caption, pick, type Random, type Scene, type SceneObject } from './scene.ts';
import {
  CELL_CENTRES,
  CELLS,
  type Cell,
  COLOURS,
  type Colour,
  JITTER,
  MARGIN,
  SHAPES,
  type Shape,
  SIZE_NAMES,
  SIZES,
  type Size,
  SYNONYMS,
} from './vocabulary.ts';

export interface Expansion {
  caption: string;
  scene: Scene;
  /** What the prompt stated, by object, before filling. */
  stated: { background: boolean; objects: Partial<Record<keyof SceneObject, boolean>>[] };
  notes: string[];
}

type V = 'top' | 'bottom' | 'middle';
type H = 'left' | 'right' | 'middle';

function index<K extends string>(table: Record<K, string[]>): Map<string, K> {
  const m = new Map<string, K>();
  for (const [k, words] of Object.entries(table) as [K, string[]][]) for (const w of words) m.set(w, k);
  return m;
}

const SIZE_OF = index(SYNONYMS.size);
const SHAPE_OF = index(SYNONYMS.shape);
const COLOUR_OF = index(SYNONYMS.colour);
const V_OF = index(SYNONYMS.vertical);
const H_OF = index(SYNONYMS.horizontal);
const COUNT_OF = new Map([
  ['one', 1],
  ['1', 1],
  ['single', 1],
  ['two', 2],
  ['2', 2],
  ['pair', 2],
  ['both', 2],
]);

interface Partial0 {
  shape?: Shape;
  size?: Size;
  colour?: Colour;
  v?: V;
  h?: H;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function normalise(prompt: string): string {
  return prompt
    .toLowerCase()
    .replace(/-/g, ' ')
    .replace(/([,;:.!?()])/g, ' $1 ')
    .replace(/\s+/g, ' ')
    .trim();
}

function cellOf(v: V | undefined, h: H | undefined): Cell | undefined {
  if (!v && !h) return undefined;
  const row = v === 'top' ? 'top' : v === 'bottom' ? 'bottom' : '';
  const col = h === 'left' ? 'left' : h === 'right' ? 'right' : '';
  const name = [row, col].filter(Boolean).join(' ');
  return (name || 'center') as Cell;
}

export function expandPrompt(prompt: string, seed: number): Expansion {
  const text = normalise(prompt);
  const rng: Random = new PortableNoise(seed >>> 0, fnv1a(text));
  const notes: string[] = [];
  const words = text.split(' ').filter(Boolean);

  const background = takeBackground(words);
  const { found, count } = objectsOf(words);
  if (found.length > 2) {
    notes.push(`the shapes domain holds at most 2 objects; kept the first 2 of ${found.length}`);
    found.length = 2;
  }
  if (count !== undefined && count > found.length) {
    while (found.length < count) found.push({});
  }
  if (found.length === 0) found.push({});

  // Fill what is open, from the seed, honouring the domain's rules.
  const stated = {
    background: background !== undefined,
    objects: found.map((o) => ({
      shape: !!o.shape,
      size: !!o.size,
      colour: !!o.colour,
      cell: !!(o.v || o.h),
    })),
  };
  const statedColours = found.map((o) => o.colour).filter(Boolean) as Colour[];
  const bg =
    background ??
    pick(
      rng,
      COLOURS.filter((c) => !statedColours.includes(c)),
    );
  // Re-draw what was left open until the two objects can be placed apart, as the training data was.
  let objects: SceneObject[] = [];
  for (let attempt = 0; attempt < 64; attempt++) {
    objects = fill(rng, found, bg, statedColours, attempt === 0 ? notes : []);
    if (feasible(objects)) break;
    if (attempt === 63) notes.push('the stated objects cannot both fit as described; kept them as stated');
  }
  const scene: Scene = { background: bg, objects };
  return { caption: caption(scene), scene, stated, notes };
}

function fill(
  rng: Random,
  found: Partial0[],
  bg: Colour,
  statedColours: Colour[],
  notes: string[],
): SceneObject[] {
  const objects: SceneObject[] = [];
  for (const o of found) {
    const taken = objects.map((x) => x.colour);
    const colour =
      o.colour ??
      pick(
        rng,
        COLOURS.filter((c) => c !== bg && !taken.includes(c) && !statedColours.includes(c)),
      );
    let cell = cellOf(o.v, o.h);
    if (cell && objects.some((x) => x.cell === cell)) {
      notes.push(`two objects cannot share the ${cell} cell; moved the second`);
      cell = undefined;
    }
    objects.push({
      colour,
      shape: o.shape ?? pick(rng, SHAPES),
      size: o.size ?? pick(rng, SIZE_NAMES),
      cell: cell ?? pick(rng, freeCells(objects, found)),
    });
  }
  return objects;
}

/** Whether some jitter keeps the two grown bounding boxes apart. */
export function feasible(objects: readonly SceneObject[]): boolean {
  const [a, b] = objects;
  if (!a || !b) return true;
  const ia = CELLS.indexOf(a.cell);
  const ib = CELLS.indexOf(b.cell);
  const gap = SIZES[a.size] / 2 + SIZES[b.size] / 2 + 2 * MARGIN;
  const step = CELL_CENTRES[1] - CELL_CENTRES[0];
  const dx = Math.abs((ia % 3) - (ib % 3)) * step + 2 * JITTER;
  const dy = Math.abs(Math.floor(ia / 3) - Math.floor(ib / 3)) * step + 2 * JITTER;
  return (ia % 3 !== ib % 3 && dx >= gap) || (Math.floor(ia / 3) !== Math.floor(ib / 3) && dy >= gap);
}

/** Cells not taken, nor stated for a later object. */
function freeCells(placed: SceneObject[], found: Partial0[]): Cell[] {
  const reserved = new Set<Cell>(placed.map((o) => o.cell));
  for (const f of found) {
    const c = cellOf(f.v, f.h);
    if (c) reserved.add(c);
  }
  const free = CELLS.filter((c) => !reserved.has(c));
  return free.length ? free : CELLS.filter((c) => !placed.some((o) => o.cell === c));
}

/** Background: "<colour> background", "background <colour>", or a trailing "on (a|the) <colour>"; its words are removed. */
function takeBackground(words: string[]): Colour | undefined {
  let background: Colour | undefined;
  for (let i = 0; i < words.length; i++) {
    if (words[i] !== 'background' && words[i] !== 'backdrop') continue;
    const before = COLOUR_OF.get(words[i - 1] ?? '');
    const after = COLOUR_OF.get(words[i + 1] ?? '');
    if (before) {
      background = before;
      words.splice(i - 1, 2);
    } else if (after) {
      background = after;
      words.splice(i, 2);
    } else {
      words.splice(i, 1);
    }
    break;
  }
  if (!background) {
    for (let i = 0; i < words.length; i++) {
      if (words[i] !== 'on' && words[i] !== 'over' && words[i] !== 'against') continue;
      let j = i + 1;
      if (['a', 'an', 'the'].includes(words[j] ?? '')) j++;
      const c = COLOUR_OF.get(words[j] ?? '');
      const next = words[j + 1];
      // "on white" (the colour ends its clause), not "on the red circle".
      if (c && (next === undefined || [',', ';', '.', 'and', 'with'].includes(next))) {
        background = c;
        words.splice(i, j - i + 1);
        break;
      }
    }
  }

  return background;
}

/** Objects: the words split into clauses; each clause with a shape, colour or size word is one object. */
function objectsOf(words: readonly string[]): { found: Partial0[]; count: number | undefined } {
  let count: number | undefined;
  const clauses: string[][] = [[]];
  for (const w of words) {
    if ([',', ';', ':', '.', 'and', 'with', 'plus', 'beside', 'next'].includes(w)) clauses.push([]);
    else clauses[clauses.length - 1]!.push(w);
  }
  const found: Partial0[] = [];
  for (const clause of clauses) {
    const o: Partial0 = {};
    let positional = false;
    for (const w of clause) {
      if (COUNT_OF.has(w)) count = COUNT_OF.get(w);
      if (SIZE_OF.has(w)) o.size = SIZE_OF.get(w);
      if (SHAPE_OF.has(w)) o.shape = SHAPE_OF.get(w);
      if (COLOUR_OF.has(w)) o.colour = COLOUR_OF.get(w);
      const v = V_OF.get(w);
      const h = H_OF.get(w);
      if (v && v !== 'middle') o.v = v;
      if (h && h !== 'middle') o.h = h;
      if (v === 'middle' || h === 'middle') positional = true;
    }
    if (positional) {
      o.v ??= 'middle';
      o.h ??= 'middle';
    }
    if (o.shape || o.colour || o.size) found.push(o);
    else if ((o.v || o.h) && found.length > 0) {
      // A clause of position only ("…, top right") belongs to the object before it.
      const last = found[found.length - 1]!;
      last.v ??= o.v;
      last.h ??= o.h;
    }
  }
  return { found, count };
}
