/** The model family the CLI runs: where it is and how (BATON_MODEL_DIR, BATON_EXECUTION_PROVIDER, …), read once. */
import { config } from '@baton/config';
import { modelSettings, openCascade } from '@baton/domains/cascade';
import type { Cascade } from '@baton/pipeline';

export const modelDir = (): string => modelSettings(config()).dir;

/** The cascade with the domain its manifest names; the runtime's line about its provider only when `log` is given. */
export function cliCascade(log?: (line: Record<string, unknown>) => void): Promise<Cascade> {
  const { dir, options } = modelSettings(config());
  return openCascade(dir, { ...options, log: log ?? (() => {}) });
}
