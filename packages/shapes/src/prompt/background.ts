/**
 * The background, found before the objects: "<colour> background", "background of <colour>",
 * "on (a) <colour>", "<colour> image", or a bare colour closing the prompt after a comma ("…, black").
 * The words it takes are marked used, so the object parser never sees them.
 */
import { COLOURS, type Colour } from '../vocabulary.ts';
import type { Parsed } from './mention.ts';
import { PLACE_KINDS, type Token } from './tokens.ts';

const isColour = (t: Token | undefined) =>
  !!t && (t.kind === 'colour' || (t.kind === 'unsupported' && t.attr === 'colour'));
const isHead = (t: Token | undefined) =>
  !!t &&
  (t.kind === 'shape' ||
    t.kind === 'generic' ||
    t.kind === 'size' ||
    (t.kind === 'unsupported' && t.attr !== 'colour'));
const OBJECT_COLOUR = /^(colou?r(ed)?|painted|shaded|tinted|in|one|other|first|second|last|latter)$/; // "…, the other blue"
const fills = (t: Token | undefined) => !!t && (t.kind === 'filler' || t.kind === 'frame');

export function takeBackground(tokens: readonly Token[], used: boolean[], out: Parsed): void {
  const set = (at: number, from: number, to: number) => {
    // "not on white", "no white background": a negation, said as one (never the background).
    if ([1, 2].some((d) => tokens[Math.min(from, at) - d]?.kind === 'negation')) return;
    for (let k = from; k <= to; k++) used[k] = true;
    const t = tokens[at]!;
    if (out.background !== undefined || out.backgroundWords !== undefined) {
      out.problems.push({ words: t.text, message: `a second background ("${t.text}") was ignored` });
      return;
    }
    out.backgroundWords = t.text;
    if (t.kind === 'colour') out.background = t.colour;
    else
      out.problems.push({
        words: t.text,
        message: `"${t.text}" is not a palette colour (${COLOURS.join(', ')})`,
      });
  };
  const skip = (j: number, step: 1 | -1, also: (t: Token) => boolean = () => false) => {
    while (tokens[j] && !used[j] && (fills(tokens[j]) || also(tokens[j]!))) j += step;
    return j;
  };
  const skipBack = (j: number) => {
    while (tokens[j] && !used[j] && fills(tokens[j]) && !/^(a|an|the)$/.test(tokens[j]!.text)) j--;
    return j;
  };
  // "…of the canvas: a yellow, large circle": the colour starts an object's modifiers.
  const describes = (j: number) =>
    /^(a|an)$/.test(tokens[j - 1]?.text ?? '') &&
    tokens[j + 1]?.text === ',' &&
    (isHead(tokens[j + 2]) || isColour(tokens[j + 2]));
  for (let i = 0; i < tokens.length; i++) {
    const frame = tokens[i]!.kind === 'frame'; // "… of a yellow image"
    if ((tokens[i]!.kind !== 'background' && !frame) || used[i]) continue;
    const back = skipBack(i - 1); // "green background", not "colour=green the background"
    if (frame) {
      if (isColour(tokens[back]) && !used[back]) set(back, back, i);
      continue;
    }
    // "fill the background with yellow" (not "the canvas with the yellow, large circle").
    const withColour = tokens[i + 1]?.text === 'with' && isColour(tokens[i + 2]);
    const ahead = withColour ? i + 2 : skip(i + 1, 1, (t) => t.kind === 'sep' && t.text === ':');
    // "top left of the canvas: a white square" names the canvas as a frame, not its colour.
    const before = skip(i - 1, -1);
    // … or as "top right of the canvas", where "right of" was read as one word.
    const placeOf =
      PLACE_KINDS.has(tokens[before]?.kind ?? '') && tokens[before + 1]?.text === 'of'
        ? before + 2
        : tokens[before]?.kind === 'relation' && / of$/.test(tokens[before]!.text)
          ? before + 1
          : -1;
    const framed = placeOf >= 0 && tokens.slice(placeOf, i).every((t) => /^(the|a|an)$/.test(t.text));
    // "colour: blue background: apricot": a field label takes the colour after it, not before.
    const label = tokens[i + 1]?.text === ':';
    if (isColour(tokens[back]) && !used[back] && !label) set(back, back, i);
    else if (
      isColour(tokens[ahead]) &&
      !used[ahead] &&
      !isHead(tokens[ahead + 1]) &&
      !describes(ahead) &&
      !framed
    )
      set(ahead, i, ahead);
    else used[i] = true;
  }
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.kind !== 'on' || used[i]) continue;
    const j = skip(i + 1, 1);
    const after = tokens[skip(j + 1, 1)];
    const ends = !after || ['sep', 'and', 'on', 'negation'].includes(after.kind);
    if (isColour(tokens[j]) && !used[j] && ends && !describes(j)) set(j, i, j); // not "over a cream, small disc"
  }
  if (out.backgroundWords === undefined) finalColour(tokens, used, set);
}

/** "small dot top right, black": a colour alone after the last separator. */
function finalColour(
  tokens: readonly Token[],
  used: boolean[],
  set: (at: number, from: number, to: number) => void,
): void {
  let end = tokens.length;
  while (end > 0 && tokens[end - 1]!.kind === 'sep') end--;
  let sep = -1;
  for (let k = end - 1; k >= 0; k--) {
    if (tokens[k]!.kind === 'sep' && !used[k]) {
      sep = k;
      break;
    }
  }
  // "circle: red" describes the circle; "circles: red, blue" lists their colours (but after a
  // field, "colour=red, yellowy", or a list, "white and red, green", it is still the background).
  const listed = isColour(tokens[sep - 1]) && !used[sep - 2] && tokens[sep - 2]?.kind !== 'and';
  if (sep < 0 || tokens[sep]!.text === ':' || listed || parallel(tokens, sep) || modifierList(tokens, sep))
    return;
  const rest = [...tokens.keys()].filter((k) => k > sep && k < end && !used[k]);
  const colours = rest.filter((k) => isColour(tokens[k]));
  if (
    colours.length !== 1 ||
    !rest.every((k) => isColour(tokens[k]) || fills(tokens[k]) || tokens[k]!.kind === 'on') ||
    rest.some((k) => OBJECT_COLOUR.test(tokens[k]!.text)) // "…, coloured red": the object's
  )
    return;
  set(colours[0]!, sep + 1, tokens.length - 1);
}

/** "circle, big, red": the closing colour ends a list of its noun's modifiers, and the noun has no colour. */
function modifierList(tokens: readonly Token[], sep: number): boolean {
  let j = sep - 1;
  while (j >= 0 && (tokens[j]!.kind === 'size' || tokens[j]!.text === ',' || fills(tokens[j]))) j--;
  if (!tokens.slice(j + 1, sep).some((t) => t.kind === 'size') || !noun(tokens[j])) return false;
  for (let k = j - 1; k >= 0 && !['sep', 'and'].includes(tokens[k]!.kind); k--)
    if (isColour(tokens[k])) return false;
  return true;
}

const noun = (t: Token | undefined) => t?.kind === 'shape' || t?.kind === 'generic';

/**
 * "a big circle, red, and a small square, blue": the closing colour follows its noun after a
 * comma, as an earlier object's colour did; it is that object's, not the background.
 */
function parallel(tokens: readonly Token[], sep: number): boolean {
  if (!noun(tokens[sep - 1])) return false;
  // The earlier colour ends its clause ("…, red, and …", "…, red; …"), not "…; orangish, xs circle".
  const ends = (k: number) =>
    tokens[k]!.kind === 'and' ||
    tokens[k]!.text === ';' ||
    (tokens[k]!.text === ',' && ['and', 'filler'].includes(tokens[k + 1]?.kind ?? ''));
  return tokens.some(
    (t, k) => k < sep - 3 && noun(t) && tokens[k + 1]!.text === ',' && isColour(tokens[k + 2]) && ends(k + 3),
  );
}

export type { Colour };
