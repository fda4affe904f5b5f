/**
 * The domain registry. A model family's manifest names its domain (`prompt_expander`); the
 * domain plug-in (how prompts become captions, the image codec, the vocabulary) is looked up
 * here, the one place that knows them all. A family whose manifest names no known domain gets
 * the plain one: prompts verbatim, PNG images.
 */
import type { Config } from '@baton/config';
import { type Cascade, DEFAULT_MODEL_DIR, loadCascade } from '@baton/pipeline';
import { type Domain, plainDomain } from '@baton/pipeline/domain';
import { type LoadOptions, loadManifest } from '@baton/runtime';
import { shapesDomain } from '@baton/shapes';

export { DEFAULT_MODEL_DIR };

const DOMAINS: ReadonlyMap<string, Domain> = new Map([shapesDomain].map((d) => [d.name, d]));

/** The domain a manifest's `prompt_expander` names; the plain domain for any other. */
export function domainFor(promptExpander: string | undefined): Domain {
  return (promptExpander && DOMAINS.get(promptExpander)) || plainDomain;
}

/** The names a manifest may give to get a domain of its own. */
export const domainNames = (): string[] => [...DOMAINS.keys()];

/** The cascade on the family in `dir`, with the domain its manifest names. */
export async function openCascade(
  dir: string = DEFAULT_MODEL_DIR,
  options: LoadOptions = {},
): Promise<Cascade> {
  const manifest = await loadManifest(dir);
  return loadCascade(dir, domainFor(manifest.prompt_expander), options);
}

/** Where the model family is and how to run it, from an entry point's configuration. */
export function modelSettings(
  c: Pick<Config, 'BATON_MODEL_DIR' | 'BATON_EXECUTION_PROVIDER' | 'BATON_ORT_THREADS'>,
): { dir: string; options: LoadOptions } {
  return {
    dir: c.BATON_MODEL_DIR ?? DEFAULT_MODEL_DIR,
    options: { provider: c.BATON_EXECUTION_PROVIDER, threads: c.BATON_ORT_THREADS },
  };
}
