// Writes what is generated from the manifest schema's source, manifest-schema.ts: the JSON
// Schema (packages/runtime/src/manifest.schema.json) and its validator as code (generated/).
import { writeFileSync } from 'node:fs';
import { manifestSchema } from '../packages/runtime/src/manifest-schema.ts';
import { manifestValidatorCode, VALIDATOR_FILE } from '../packages/runtime/src/manifest-validator-code.ts';

writeFileSync('packages/runtime/src/manifest.schema.json', `${JSON.stringify(manifestSchema, null, 2)}\n`);
writeFileSync(VALIDATOR_FILE, manifestValidatorCode());
