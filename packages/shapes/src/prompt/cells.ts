/**
 * Where the objects go: each object's stated place narrows its cells ("top left": one cell,
 * "in a corner": four, nothing: nine); relations ("left of", "above", "opposite") keep only
 * the pairs of cells that satisfy them; the seed picks among what is left. Relations about
 * sizes ("bigger than", "the same size") set the sizes instead.
 */
import { pick, type Random } from '../scene.ts';
import { CELLS, type Cell, type Size } from '../vocabulary.ts';
import type { Mention, Parsed, Problem } from './parse.ts';

const ROW = { top: 0, middle: 1, bottom: 2 } as const;
const COL = { left: 0, middle: 1, right: 2 } as const;
const rc = (cell: Cell) => [Math.floor(CELLS.indexOf(cell) / 3), CELLS.indexOf(cell) % 3] as const;

/** The cells an object may take (a place that says two contrary things leaves it any cell). */
export function allowedCells(m: Mention): Cell[] {
  const row = m.v === undefined ? undefined : ROW[m.v];
  const col = m.h === undefined ? undefined : COL[m.h];
  const cells = CELLS.filter((c) => {
    const [r, k] = rc(c);
    if (m.corner && (r === 1 || k === 1)) return false;
    if (!m.corner && (row === undefined) !== (col === undefined)) return false;
    return (row === undefined || r === row) && (col === undefined || k === col);
  });
  return cells.length ? cells : [...CELLS];
}

type Rel = Parsed['relations'][number];

/** Whether cells (ca, cb) satisfy "a rel b"; `aligned` also asks the same row (left/right) or column (above/below). */
export function holds(rel: Rel['rel'], ca: Cell, cb: Cell, aligned = false): boolean {
  const [ra, ka] = rc(ca);
  const [rb, kb] = rc(cb);
  switch (rel) {
    case 'left':
      return ka < kb && (!aligned || ra === rb);
    case 'right':
      return ka > kb && (!aligned || ra === rb);
    case 'above':
      return ra < rb && (!aligned || ka === kb);
    case 'below':
      return ra > rb && (!aligned || ka === kb);
    case 'beside':
      return Math.abs(ka - kb) === 1 && (!aligned || ra === rb);
    case 'opposite': // mirrored through the centre: top left and bottom right, left and right
      return ra + rb === 2 && ka + kb === 2 && ca !== cb;
    case 'diagonal': // opposite corners
      return ra + rb === 2 && ka + kb === 2 && ra !== 1 && ka !== 1;
    case 'inside': // never kept by the parser: objects do not overlap
    case 'bigger': // sizes, not cells (honourSizes)
    case 'smaller':
    case 'same':
      return true;
  }
}

/**
 * Relations about sizes, not cells: "bigger than" makes the first large and the second small,
 * "the same size" gives both the size stated for either. A stated size is kept; one the
 * relation contradicts is a warning.
 */
export function honourSizes(mentions: Mention[], relations: Rel[], problems: Problem[]): void {
  for (const r of relations) {
    const [a, b] = [mentions[r.a], mentions[r.b]];
    const same = a?.size ?? b?.size;
    const want: [Size, Size] | undefined =
      r.rel === 'bigger'
        ? ['large', 'small']
        : r.rel === 'smaller'
          ? ['small', 'large']
          : r.rel === 'same' && same
            ? [same, same]
            : undefined;
    if (!a || !b || !want) continue;
    if ((a.size && a.size !== want[0]) || (b.size && b.size !== want[1]))
      problems.push({
        words: r.words,
        message: `"${r.words}" cannot hold with the sizes stated; kept the sizes`,
      });
    else [a.size, b.size] = want;
  }
}

export function placeCells(rng: Random, mentions: Mention[], relations: Rel[], problems: Problem[]): Cell[] {
  const [a, b] = mentions.map(allowedCells);
  if (!b) return [pick(rng, a!)];
  let second = b;
  if (a!.length === 1 && b.length === 1 && a![0] === b[0]) {
    problems.push({
      words: mentions[1]!.words.join(' '),
      message: `two objects cannot share the ${a![0]} cell; the second one's place came from the seed`,
    });
    second = CELLS;
  }
  const pairs = a!.flatMap((ca) => second.filter((cb) => cb !== ca).map((cb) => [ca, cb] as [Cell, Cell]));
  for (const aligned of [true, false]) {
    const ok = pairs.filter((pair) => relations.every((r) => holds(r.rel, pair[r.a]!, pair[r.b]!, aligned)));
    if (ok.length) return pick(rng, ok);
  }
  for (const r of relations)
    problems.push({
      words: r.words,
      message: `"${r.words}" cannot hold with the places stated; kept the places`,
    });
  return pick(rng, pairs);
}
