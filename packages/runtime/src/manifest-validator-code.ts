/**
 * The manifest's validator as code, generated from its schema by Ajv's standalone mode:
 * loading it costs no Ajv and no schema compile (~150 ms of every cold start: `baton vocab`,
 * a Lambda's init). `npm run manifest:schema` writes it after a schema change;
 * a test fails while the committed file is not what the schema generates.
 */
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { manifestSchema } from './manifest-schema.ts';

export const VALIDATOR_FILE = new URL('./generated/manifest-validate.js', import.meta.url);

const HEADER = '// Generated from manifest-schema.ts by `npm run manifest:schema`. Do not edit.\n';

export function manifestValidatorCode(): string {
  const ajv = new Ajv({ allErrors: true, code: { source: true, esm: true } });
  return HEADER + standaloneCode.default(ajv, ajv.compile(manifestSchema));
}
