/** The README's table of variables (`npm run config:table`), generated from the schema and the deployments' defaults. */
import { deploymentDefaultsOf } from './deployments.ts';
import { VARIABLES } from './variables.ts';

/** The README's table of variables, generated from the schema. */
export function configTable(): string {
  const rows = Object.entries(VARIABLES).map(([name, v]) => {
    const per = deploymentDefaultsOf(name);
    const def = per ? per : v.default === '' ? '' : `\`${v.default}\``;
    return `| \`${name}\` | ${def} | ${v.doc} |`;
  });
  return ['| variable | default | what it does |', '|---|---|---|', ...rows].join('\n');
}
