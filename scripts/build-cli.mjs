#!/usr/bin/env node
// Bundles the CLI (packages/cli/src) into packages/cli/dist/ so `npx baton` starts without
// compiling TypeScript. Runs at `npm install` / `npm ci` (the root's prepare script). The
// workspace packages go into the bundle; everything from the registry stays external (loaded
// from node_modules), and each command is its own chunk, loaded when it runs. A stamp lists
// the sources: bin/baton.mjs falls back to tsx when one is newer than the bundle.
import { statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'packages/cli/dist');
const started = Date.now();
const result = await build({
  entryPoints: [join(root, 'packages/cli/src/main.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  splitting: true,
  outdir,
  metafile: true,
  logLevel: 'error',
  // Paths built from import.meta.url (the repo's root, its models) work from dist/ as from src/:
  // both are three folders below the root.
  plugins: [
    {
      name: 'registry-packages-external',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (a) =>
          a.path.startsWith('@baton/') ? undefined : { external: true },
        );
      },
    },
  ],
});
const inputs = Object.keys(result.metafile.inputs).map((p) => join(root, p));
const newest = Math.max(...inputs.map((p) => statSync(p).mtimeMs));
writeFileSync(join(outdir, 'stamp.json'), JSON.stringify({ builtFrom: newest, inputs }));
console.log(`baton CLI bundled: ${inputs.length} sources → packages/cli/dist (${Date.now() - started} ms)`);
