/**
 * best_of's scorer for the shapes domain: the judge's measurements (judge.ts), read softly.
 *
 * The judge says yes or no per attribute; a picker needs more: of two candidates the judge
 * passes, the one whose square measures a fill ratio of 0.97 is a surer square than one at 0.905,
 * and another measurement of the same picture (another judge, another encoding) is likelier to
 * agree with it. So each attribute the caption states becomes a probability, the logistic of how
 * far its measurement lies inside the range that attribute needs (in units of `margin`), and the
 * score is their geometric mean: near 1 when every attribute is well inside its range, about
 * 0.5 per attribute on a boundary, near 0 when one is clearly wrong.
 */
import type { RgbImage } from '@baton/pipeline/image';
import { type DetectedObject, type Detection, detect } from './judge.ts';
import type { Scene, SceneObject } from './scene.ts';
import { CELLS, JUDGE } from './vocabulary.ts';

/** How far inside its range a measurement must lie to count as sure (the logistic's scale), per measure. */
export interface Margins {
  /** Fill ratio (the shape). */
  fill: number;
  /** Extent as a share of the side (the size). */
  extent: number;
  /** Centroid as a share of the side (the cell). */
  place: number;
}
export const SCORE_MARGIN: Margins = { fill: 0.02, extent: 0.02, place: 0.02 };
/** The probability of an attribute that is simply wrong (no object of the colour, a wrong count). */
const MISSING = 0.01;

const logistic = (x: number) => 1 / (1 + Math.exp(-x));

/** The probability that `v` lies in [lo, hi), measured in units of `scale`. */
function inside(v: number, lo: number, hi: number, scale: number): number {
  return (lo > -Infinity ? logistic((v - lo) / scale) : 1) * (hi < Infinity ? logistic((hi - v) / scale) : 1);
}

const SHAPE_RANGE = {
  square: [JUDGE.squareFill, Infinity],
  circle: [JUDGE.circleFill, JUDGE.squareFill],
  triangle: [-Infinity, JUDGE.circleFill],
} as const;

/** Per stated attribute of one captioned object, how surely the detected object shows it. */
function objectProbabilities(o: SceneObject, d: DetectedObject, margin: Margins): number[] {
  const [lo, hi] = SHAPE_RANGE[o.shape];
  const shape = inside(d.fill, lo, hi, margin.fill);
  const size =
    o.size === 'large'
      ? inside(d.extent, JUDGE.largeExtent, Infinity, margin.extent)
      : inside(d.extent, -Infinity, JUDGE.largeExtent, margin.extent);
  // The cell's column and row as ranges of the centroid; the image's own edges are no boundary.
  const k = CELLS.indexOf(o.cell);
  const third = (i: number) => [i === 0 ? -Infinity : i / 3, i === 2 ? Infinity : (i + 1) / 3] as const;
  const [x0, x1] = third(k % 3);
  const [y0, y1] = third(Math.floor(k / 3));
  const place = inside(d.centroid[0], x0, x1, margin.place) * inside(d.centroid[1], y0, y1, margin.place);
  return [shape, size, place];
}

/** The soft score of a detection against a scene (exported for tests and tuning). */
export function scoreDetection(
  detection: Detection,
  scene: Scene<SceneObject>,
  margin = SCORE_MARGIN,
): number {
  const p: number[] = [
    detection.background === scene.background ? 1 : MISSING,
    detection.objects.length === scene.objects.length ? 1 : MISSING,
  ];
  for (const o of scene.objects) {
    const found = detection.objects.find((d) => d.colour === o.colour);
    p.push(...(found ? objectProbabilities(o, found, margin) : [MISSING, MISSING, MISSING]));
  }
  return Math.exp(p.reduce((a, x) => a + Math.log(Math.max(x, 1e-6)), 0) / p.length);
}

export function scoreImage(image: RgbImage, scene: Scene<SceneObject>): number {
  return scoreDetection(detect(image), scene);
}
