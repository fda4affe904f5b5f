#!/usr/bin/env node
// Runs every test file (packages/*/test, functions/test, test/) with node's test runner, TypeScript through tsx.
// Usage: node scripts/test.mjs [path-filter …]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const roots = ['packages', 'functions', 'test'];
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(p);
  }
}
for (const r of roots) {
  try {
    walk(r);
  } catch {}
}
const filters = process.argv.slice(2);
const chosen = files.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (chosen.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    fileURLToPath(new URL('./fc-seed.mjs', import.meta.url)),
    '--test',
    `--test-concurrency=${process.env.BATON_TEST_CONCURRENCY ?? Math.max(2, availableParallelism())}`,
    '--test-reporter=spec',
    ...chosen,
  ],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
