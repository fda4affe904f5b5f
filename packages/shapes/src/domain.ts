/** The shapes domain as the pipeline sees it: its prompt expansion and its image codec. */
import type { Domain } from '@baton/pipeline/domain';
import { pngCodec } from '@baton/pipeline/image';
import { expandPrompt } from './expand.ts';
import { shapesVocabulary, vocabularyText } from './prompt/describe.ts';

export const shapesDomain: Domain = {
  name: 'shapes',
  expand: (prompt, seed, draft) => {
    const { caption, warnings, words } = expandPrompt(prompt, seed, draft);
    return { caption, warnings, words };
  },
  codec: pngCodec,
  vocabulary: {
    data: shapesVocabulary,
    text: (sizesPx) => vocabularyText(shapesVocabulary(), sizesPx),
  },
};
