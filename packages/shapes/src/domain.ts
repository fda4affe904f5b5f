/** The shapes domain as the pipeline sees it: its prompt expansion and its image codec. */
import type { Domain } from '@baton/pipeline/domain';
import { pngCodec } from '@baton/pipeline/image';
import { expandPrompt } from './expand.ts';
import { judge } from './judge.ts';
import { shapesVocabulary, vocabularyText } from './prompt/describe.ts';
import { parseCaption } from './scene.ts';

export const shapesDomain: Domain = {
  name: 'shapes',
  expand: (prompt, seed, draft) => {
    const { caption, warnings, words } = expandPrompt(prompt, seed, draft);
    return { caption, warnings, words };
  },
  codec: pngCodec,
  // The share of the caption's attributes the judge finds (background, count, and each object's
  // colour, shape, size and place); 0 for a caption outside the grammar.
  score: (image, caption) => {
    const scene = parseCaption(caption);
    if (!scene) return 0;
    const v = judge(image, scene);
    const hits = [
      v.background,
      v.count,
      ...v.objects.flatMap((o) => [o.colour, o.shape, o.size, o.position]),
    ];
    return hits.filter(Boolean).length / hits.length;
  },
  vocabulary: {
    data: shapesVocabulary,
    text: (sizesPx) => vocabularyText(shapesVocabulary(), sizesPx),
  },
};
