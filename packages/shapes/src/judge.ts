/**
 * Alignment judging of docs/shapes-domain.md ("How alignment is judged"),
 * written from the spec, independent of the training code.
 */
import type { RgbImage } from '@baton/pipeline/image';
import type { Scene, SceneObject } from './scene.ts';
import {
  CELLS,
  type Cell,
  COLOURS,
  type Colour,
  JUDGE,
  PALETTE,
  type Shape,
  type Size,
} from './vocabulary.ts';

export interface DetectedObject {
  colour: Colour;
  shape: Shape;
  size: Size;
  cell: Cell;
  area: number;
  fill: number;
  /** max(bbox width, bbox height) / S: what size is read from. */
  extent: number;
  /** The centroid as a share of the side, x then y: what the cell is read from. */
  centroid: readonly [number, number];
}

export interface Detection {
  background: Colour;
  objects: DetectedObject[];
}

export interface Verdict {
  background: boolean;
  count: boolean;
  /** Per captioned object: found by colour, and whether each attribute matched. */
  objects: { colour: boolean; shape: boolean; size: boolean; position: boolean }[];
  aligned: boolean;
}

type Rgb = readonly [number, number, number];

function dist(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

export function nearestColour(c: Rgb): Colour {
  let best = COLOURS[0]!;
  for (const name of COLOURS) if (dist(c, PALETTE[name]) < dist(c, PALETTE[best])) best = name;
  return best;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function medianColour(img: RgbImage, pixels: Iterable<number>): Rgb {
  const r: number[] = [];
  const g: number[] = [];
  const b: number[] = [];
  for (const p of pixels) {
    r.push(img.data[3 * p]!);
    g.push(img.data[3 * p + 1]!);
    b.push(img.data[3 * p + 2]!);
  }
  return [median(r), median(g), median(b)];
}

export function detect(img: RgbImage): Detection {
  const S = img.width;
  if (img.height !== S)
    throw new RangeError(`the judge needs a square image but got ${img.width}×${img.height}`);
  // 1. Background: median colour of the outermost border.
  const border: number[] = [];
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      if (x < JUDGE.border || y < JUDGE.border || x >= S - JUDGE.border || y >= S - JUDGE.border)
        border.push(y * S + x);
    }
  }
  const bgColour = medianColour(img, border);
  // 2. Foreground: pixels farther than the threshold from the measured background colour.
  const fg = new Uint8Array(S * S);
  for (let p = 0; p < S * S; p++) {
    const c: Rgb = [img.data[3 * p]!, img.data[3 * p + 1]!, img.data[3 * p + 2]!];
    fg[p] = dist(c, bgColour) > JUDGE.foregroundDistance ? 1 : 0;
  }
  const objects: DetectedObject[] = [];
  for (const pixels of components(fg, S))
    if (pixels.length >= JUDGE.minArea * S * S) objects.push(measure(img, pixels));
  return { background: nearestColour(bgColour), objects };
}

/** The 4-connected components of a square mask, each as its pixel indices. */
function components(fg: Uint8Array, S: number): number[][] {
  const label = new Int32Array(S * S).fill(-1);
  const out: number[][] = [];
  for (let start = 0; start < S * S; start++) {
    if (!fg[start] || label[start]! >= 0) continue;
    const pixels: number[] = [];
    const stack = [start];
    label[start] = start;
    while (stack.length) {
      const p = stack.pop()!;
      pixels.push(p);
      const x = p % S;
      const y = (p - x) / S;
      for (const [nx, ny] of [
        [x - 1, y],
        [x + 1, y],
        [x, y - 1],
        [x, y + 1],
      ] as const) {
        if (nx < 0 || ny < 0 || nx >= S || ny >= S) continue;
        const q = ny * S + nx;
        if (fg[q] && label[q]! < 0) {
          label[q] = start;
          stack.push(q);
        }
      }
    }
    out.push(pixels);
  }
  return out;
}

/** One object's colour, cell, size and shape, and the measures they are read from. */
function measure(img: RgbImage, pixels: number[]): DetectedObject {
  const S = img.width;
  let x0 = S;
  let y0 = S;
  let x1 = -1;
  let y1 = -1;
  let sx = 0;
  let sy = 0;
  for (const p of pixels) {
    const x = p % S;
    const y = (p - x) / S;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
    sx += x + 0.5;
    sy += y + 0.5;
  }
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const fill = pixels.length / (w * h);
  const cx = sx / pixels.length / S;
  const cy = sy / pixels.length / S;
  const col = Math.min(2, Math.floor(cx * 3));
  const row = Math.min(2, Math.floor(cy * 3));
  return {
    colour: nearestColour(medianColour(img, pixels)),
    cell: CELLS[row * 3 + col]!,
    size: Math.max(w, h) >= JUDGE.largeExtent * S ? 'large' : 'small',
    shape: fill >= JUDGE.squareFill ? 'square' : fill >= JUDGE.circleFill ? 'circle' : 'triangle',
    area: pixels.length,
    fill,
    extent: Math.max(w, h) / S,
    centroid: [cx, cy],
  };
}

export function judge(img: RgbImage, expected: Scene<SceneObject>): Verdict & { detection: Detection } {
  const detection = detect(img);
  const background = detection.background === expected.background;
  const count = detection.objects.length === expected.objects.length;
  const objects = expected.objects.map((o) => {
    const found = detection.objects.find((d) => d.colour === o.colour);
    return {
      colour: !!found,
      shape: found?.shape === o.shape,
      size: found?.size === o.size,
      position: found?.cell === o.cell,
    };
  });
  const aligned = background && count && objects.every((o) => o.colour && o.shape && o.size && o.position);
  return { background, count, objects, aligned, detection };
}
