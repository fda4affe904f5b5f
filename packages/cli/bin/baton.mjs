#!/usr/bin/env node
// `npx baton`: the bundle `npm install` built (scripts/build-cli.mjs), or the TypeScript
// sources through tsx when there is no bundle or a source is newer than it (an edit since).
import { readFileSync, statSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);

function bundleIsFresh() {
  try {
    const { builtFrom, inputs } = JSON.parse(readFileSync(new URL('stamp.json', dist), 'utf8'));
    return inputs.every((p) => statSync(p).mtimeMs <= builtFrom);
  } catch {
    return false;
  }
}

let main;
if (bundleIsFresh()) ({ main } = await import(new URL('main.js', dist).href));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
