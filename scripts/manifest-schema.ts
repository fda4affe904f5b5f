// Writes packages/runtime/src/manifest.schema.json from its source, manifest-schema.ts.
import { writeFileSync } from 'node:fs';
import { manifestSchema } from '../packages/runtime/src/manifest-schema.ts';

writeFileSync('packages/runtime/src/manifest.schema.json', `${JSON.stringify(manifestSchema, null, 2)}\n`);
