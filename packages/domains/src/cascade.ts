/** The configured model family opened as a cascade, with the domain its manifest names (loads the model runtime). */
import type { Config } from '@baton/config';
import { type Cascade, DEFAULT_MODEL_DIR, loadCascade } from '@baton/pipeline';
import { type LoadOptions, loadManifest } from '@baton/runtime';
import { domainFor } from './index.ts';

export { DEFAULT_MODEL_DIR };

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
