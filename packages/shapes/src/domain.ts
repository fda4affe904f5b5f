/** The shapes domain as the pipeline sees it: its prompt expansion and its image codec. */
import type { Domain } from '@baton/pipeline/domain';
import { pngCodec } from '@baton/pipeline/image';
import { expandPrompt } from './expand.ts';
import { shapesVocabulary, vocabularyText } from './prompt/describe.ts';
import { parseCaption } from './scene.ts';
import { scoreImage } from './score.ts';
import { CELLS } from './vocabulary.ts';

export const shapesDomain: Domain = {
  name: 'shapes',
  expand: (prompt, seed, draft) => {
    const { caption, warnings, words } = expandPrompt(prompt, seed, draft);
    return { caption, warnings, words };
  },
  codec: pngCodec,
  // What the family's scorer model (training/baton_train/scorer.py) should see for a caption: the
  // background, and per cell the colour there (or none), with its shape and size.
  labels: (caption) => {
    const scene = parseCaption(caption);
    if (!scene) return null;
    const asked: Record<string, string> = { background: scene.background };
    for (const cell of CELLS) {
      const o = scene.objects.find((x) => x.cell === cell);
      asked[`${cell}.colour`] = o?.colour ?? 'none';
      if (o) Object.assign(asked, { [`${cell}.shape`]: o.shape, [`${cell}.size`]: o.size });
    }
    return asked;
  },
  // How surely the judge's measurements show each of the caption's attributes (score.ts); 0 for a
  // caption outside the grammar.
  score: (image, caption) => {
    const scene = parseCaption(caption);
    return scene ? scoreImage(image, scene) : 0;
  },
  vocabulary: {
    data: shapesVocabulary,
    text: (sizesPx) => vocabularyText(shapesVocabulary(), sizesPx),
  },
};
