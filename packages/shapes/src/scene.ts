/** Scenes of the shapes domain and their canonical captions (docs/shapes-domain.md). */
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
  WHERE,
} from './vocabulary.ts';

export interface SceneObject {
  shape: Shape;
  size: Size;
  colour: Colour;
  cell: Cell;
}

export interface PlacedObject extends SceneObject {
  /** Bounding-box centre, in fractions of the side. */
  cx: number;
  cy: number;
}

export interface Scene<O extends SceneObject = SceneObject> {
  background: Colour;
  objects: O[];
}

/** Any source of uniform numbers in [0, 1). */
export interface Random {
  uniform(): number;
}

export function pick<T>(rng: Random, xs: readonly T[]): T {
  return xs[Math.min(xs.length - 1, Math.floor(rng.uniform() * xs.length))]!;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

export function caption(scene: Scene): string {
  const parts = scene.objects.map(
    (o) => `${article(o.size)} ${o.size} ${o.colour} ${o.shape} ${WHERE[o.cell]}`,
  );
  return `${parts.join(' and ')}, on ${article(scene.background)} ${scene.background} background`;
}

const PHRASE_TO_CELL = new Map(Object.entries(WHERE).map(([cell, phrase]) => [phrase, cell as Cell]));
const OBJECT_RE = new RegExp(
  `^an? (${SIZE_NAMES.join('|')}) (${COLOURS.join('|')}) (${SHAPES.join('|')}) (${[...PHRASE_TO_CELL.keys()].join('|')})$`,
);

/** Parses a canonical caption; null when it is not one. */
export function parseCaption(text: string): Scene | null {
  const m = /^(.*), on an? (\w+) background$/.exec(text.trim());
  if (!m || !COLOURS.includes(m[2] as Colour)) return null;
  const objects: SceneObject[] = [];
  for (const part of m[1]!.split(' and ')) {
    const o = OBJECT_RE.exec(part);
    if (!o) return null;
    objects.push({
      size: o[1] as Size,
      colour: o[2] as Colour,
      shape: o[3] as Shape,
      cell: PHRASE_TO_CELL.get(o[4]!)!,
    });
  }
  if (objects.length < 1 || objects.length > 2) return null;
  return { background: m[2] as Colour, objects };
}

/** Jittered bounding-box centre of an object in its cell. */
export function place(rng: Random, o: SceneObject): PlacedObject {
  const i = CELLS.indexOf(o.cell);
  return {
    ...o,
    cx: CELL_CENTRES[i % 3]! + (rng.uniform() * 2 - 1) * JITTER,
    cy: CELL_CENTRES[Math.floor(i / 3)]! + (rng.uniform() * 2 - 1) * JITTER,
  };
}

export function boxesClear(a: PlacedObject, b: PlacedObject): boolean {
  const ha = SIZES[a.size] / 2 + MARGIN;
  const hb = SIZES[b.size] / 2 + MARGIN;
  return Math.abs(a.cx - b.cx) >= ha + hb || Math.abs(a.cy - b.cy) >= ha + hb;
}

/** Places a scene's objects, re-drawing the jitter until the grown boxes are clear; null if they never are. */
export function placeScene(rng: Random, scene: Scene, tries = 16): Scene<PlacedObject> | null {
  for (let i = 0; i < tries; i++) {
    const objects = scene.objects.map((o) => place(rng, o));
    if (objects.length < 2 || boxesClear(objects[0]!, objects[1]!))
      return { background: scene.background, objects };
  }
  return null;
}

/** A random scene by the spec's rules: 1 or 2 objects, distinct colours and cells, clear boxes. */
export function sampleScene(rng: Random, nObjects?: 1 | 2): Scene<PlacedObject> {
  const background = pick(rng, COLOURS);
  const n = nObjects ?? (rng.uniform() < 0.5 ? 1 : 2);
  for (;;) {
    const objects: SceneObject[] = [];
    for (let i = 0; i < n; i++) {
      objects.push({
        colour: pick(
          rng,
          COLOURS.filter((c) => c !== background && !objects.some((o) => o.colour === c)),
        ),
        cell: pick(
          rng,
          CELLS.filter((c) => !objects.some((o) => o.cell === c)),
        ),
        shape: pick(rng, SHAPES),
        size: pick(rng, SIZE_NAMES),
      });
    }
    const placed = placeScene(rng, { background, objects }, 8);
    if (placed) return placed;
  }
}

/**
 * The scene with its first object drawn wrong in one attribute: the next shape, the other size,
 * or a colour no other part of the scene has. What a judge or a scorer must tell from the scene.
 */
export function withOneWrong<O extends SceneObject>(
  scene: Scene<O>,
  attribute: 'shape' | 'size' | 'colour',
): Scene<O> {
  const o = scene.objects[0]!;
  const wrong =
    attribute === 'shape'
      ? { shape: SHAPES[(SHAPES.indexOf(o.shape) + 1) % SHAPES.length]! }
      : attribute === 'size'
        ? { size: o.size === 'large' ? ('small' as const) : ('large' as const) }
        : {
            colour: COLOURS.find(
              (c) => c !== scene.background && !scene.objects.some((x) => x.colour === c),
            )!,
          };
  return { ...scene, objects: [{ ...o, ...wrong }, ...scene.objects.slice(1)] };
}
