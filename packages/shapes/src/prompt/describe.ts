/** The shapes language as a user may read it: `baton vocab`, /v1/models and the playground. */
import vocab from '../../vocabulary.json' with { type: 'json' };
import { CELLS, COLOURS, SHAPES, SIZE_NAMES, SYNONYMS } from '../vocabulary.ts';

export interface ShapesVocabulary {
  colours: string[];
  shapes: string[];
  sizes: string[];
  positions: string[];
  max_objects: number;
  relations: string[];
  synonyms: Record<string, Record<string, string[]>>;
  /** Words understood but not drawable: a warning, or a 400 for a strict request. */
  not_drawable: Record<string, string[]>;
  example: string;
}

/** Relations the cells can honour; "inside" and its kind are understood, and said not drawable. */
const { inside, ...DRAWN_RELATIONS } = vocab.words.relation;

export function shapesVocabulary(): ShapesVocabulary {
  return {
    colours: [...COLOURS],
    shapes: [...SHAPES],
    sizes: [...SIZE_NAMES],
    positions: [...CELLS],
    max_objects: 2,
    relations: Object.values(DRAWN_RELATIONS).map((ws) => ws[0]!),
    synonyms: {
      colour: SYNONYMS.colour,
      shape: SYNONYMS.shape,
      size: SYNONYMS.size,
      position: { ...SYNONYMS.vertical, ...SYNONYMS.horizontal, center: SYNONYMS.middle },
      relation: DRAWN_RELATIONS,
      background: { background: vocab.words.background },
    },
    not_drawable: { ...vocab.words.unsupported, relation: inside },
    example: 'a big red circle top left and a small blue square below it, on white',
  };
}

/** The vocabulary as a few lines of text. */
export function vocabularyText(v: ShapesVocabulary, sizesPx?: number[]): string {
  const syn = (table: Record<string, string[]>) =>
    Object.entries(table)
      .map(([k, ws]) => `${k} (${ws.filter((w) => w !== k).join(', ')})`)
      .join('; ');
  return [
    `colours    ${syn(v.synonyms.colour!)}`,
    `shapes     ${syn(v.synonyms.shape!)}`,
    `sizes      ${syn(v.synonyms.size!)}`,
    `positions  ${v.positions.join(', ')}; words: ${syn(v.synonyms.position!)}; corners: NW, NE, SW, SE, TL, TR, BL, BR`,
    `relations  ${Object.values(v.synonyms.relation!).flat().join(', ')}`,
    `background "on white", "white background", "with a background of white", "…, white"`,
    `objects    1 to ${v.max_objects}; counts (two, a pair of, x2), lists (a red and a blue circle), both/each`,
    `slips      one typing slip in a colour, shape, size or place word is read and said ("sqaure" as square); words run together are split ("redcircle")`,
    ...(sizesPx ? [`image sizes ${sizesPx.map((s) => `${s}x${s}`).join(', ')}`] : []),
    `not drawn  ${Object.entries(v.not_drawable)
      .map(([k, ws]) => `${k}: ${ws.slice(0, 8).join(', ')}…`)
      .join('; ')} (a warning; refused with --strict)`,
    `example    ${v.example}`,
  ].join('\n');
}
