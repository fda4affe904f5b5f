/** The shapes domain v1 vocabulary, shared with the Python training code (../vocabulary.json). */
import vocab from '../vocabulary.json' with { type: 'json' };

export type Colour = 'red' | 'orange' | 'yellow' | 'green' | 'blue' | 'purple' | 'white' | 'black';
export type Shape = 'circle' | 'square' | 'triangle';
export type Size = 'small' | 'large';
export type Cell =
  | 'top left'
  | 'top'
  | 'top right'
  | 'left'
  | 'center'
  | 'right'
  | 'bottom left'
  | 'bottom'
  | 'bottom right';

export const PALETTE = vocab.palette as Record<Colour, [number, number, number]>;
export const COLOURS = Object.keys(PALETTE) as Colour[];
export const SHAPES = vocab.shapes as Shape[];
export const SIZES = vocab.sizes as Record<Size, number>;
export const SIZE_NAMES = Object.keys(SIZES) as Size[];
export const CELLS = vocab.cells as Cell[];
export const CELL_CENTRES = vocab.cellCentres as [number, number, number];
export const JITTER = vocab.jitter;
export const MARGIN = vocab.margin;
export const WHERE = vocab.where as Record<Cell, string>;
export const SYNONYMS = vocab.synonyms as {
  size: Record<Size, string[]>;
  shape: Record<Shape, string[]>;
  colour: Record<Colour, string[]>;
  vertical: Record<'top' | 'bottom', string[]>;
  horizontal: Record<'left' | 'right', string[]>;
  middle: string[];
};
export const JUDGE = vocab.judge;
/** The most objects a scene holds (shapes-domain.md: one or two). */
export const MAX_OBJECTS = 2;
