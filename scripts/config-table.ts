// Prints the README's table of environment variables, generated from @baton/config's schema.
// `npm run config:table -- --write` replaces the table between the README's markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable } from '@baton/config';

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';
const table = configTable();
if (process.argv.includes('--write')) {
  const readme = readFileSync('README.md', 'utf8');
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} markers`);
  writeFileSync('README.md', `${readme.slice(0, a + START.length)}\n${table}\n${readme.slice(b)}`);
} else console.log(table);
