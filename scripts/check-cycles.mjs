#!/usr/bin/env node
// No import circles, across packages as within them: madge over every TypeScript file, with each
// workspace package's exports mapped to its source (so @baton/x imports are followed, not
// skipped), type-only imports included; then the training package's Python modules.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import madge from 'madge';

const root = new URL('..', import.meta.url).pathname;
const paths = {};
for (const dir of readdirSync(join(root, 'packages'))) {
  const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  for (const [sub, file] of Object.entries(pkg.exports ?? {}))
    paths[sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`] = [join('packages', dir, file)];
}
const result = await madge(
  ['packages', 'functions', 'bench', 'scripts', 'test'].map((d) => join(root, d)),
  {
    baseDir: root,
    fileExtensions: ['ts'],
    excludeRegExp: [/node_modules/, /\.d\.ts$/],
    tsConfig: { compilerOptions: { baseUrl: root, paths, module: 'NodeNext', moduleResolution: 'NodeNext' } },
    detectiveOptions: { ts: { skipTypeImports: false }, es6: { skipTypeImports: false } },
  },
);
const circles = result.circular();
const skipped = result.warnings().skipped.filter((s) => s.startsWith('@baton/'));
for (const c of circles) console.error(`import cycle: ${c.join(' > ')}`);
for (const s of skipped) console.error(`not followed: ${s} (add it to the package's exports)`);
const files = Object.keys(result.obj()).length;
const py = spawnSync(
  'python3',
  [join(root, 'scripts/py_import_cycles.py'), join(root, 'training/baton_train')],
  {
    stdio: 'inherit',
  },
);
if (py.error) console.error(`python3 not found: training's imports not checked (${py.error.message})`);
if (circles.length || skipped.length || (py.status !== 0 && !py.error)) process.exit(1);
console.log(
  `no import cycles: ${files} TypeScript files (packages followed through their exports), training's Python`,
);
