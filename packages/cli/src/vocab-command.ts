/** `baton vocab`: the words prompts may use with the configured model, and what it cannot draw. */

import { domainFor } from '@baton/domains';
import { loadManifest, supportedSizes } from '@baton/runtime/manifest';
import { parseFlags } from './flags.ts';
import { modelDir } from './model.ts';
import { UsageError } from './usage-error.ts';

export const VOCAB_USAGE = `Usage: baton vocab [--json]

  Prints the prompt vocabulary of the configured model (colours, shapes, sizes, positions,
  relations, how many objects, image sizes), with synonyms. --json prints it as /v1/models does.`;

export async function vocabCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    console.log(VOCAB_USAGE);
    return 0;
  }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const manifest = await loadManifest(modelDir());
  const sizes = supportedSizes(manifest);
  const vocabulary = domainFor(manifest.prompt_expander).vocabulary;
  if (!vocabulary) {
    const say = `${manifest.id} has no prompt vocabulary of its own: prompts are used as written`;
    console.log(values.json ? JSON.stringify({ model: manifest.id, vocabulary: null }) : say);
    return 0;
  }
  if (values.json) {
    const v = vocabulary.data();
    console.log(JSON.stringify({ model: manifest.id, sizes: sizes.map((s) => `${s}x${s}`), vocabulary: v }));
  } else
    console.log(
      `${manifest.id}: prompts in the ${manifest.prompt_expander} language\n\n${vocabulary.text(sizes)}`,
    );
  return 0;
}
