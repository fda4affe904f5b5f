/** The registry picks a family's domain from its manifest, and only from it. */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { plainDomain } from '@baton/pipeline/domain';
import { shapesDomain } from '@baton/shapes';
import { DEFAULT_MODEL_DIR, openCascade } from '../src/cascade.ts';
import { domainFor, domainNames } from '../src/index.ts';

test('a manifest naming a known domain gets it; any other name, or none, the plain domain', () => {
  assert.equal(domainFor('shapes'), shapesDomain);
  assert.equal(domainFor('llm'), plainDomain);
  assert.equal(domainFor(undefined), plainDomain);
  assert.deepEqual(domainNames(), ['shapes']);
});

test('the cascade on a family carries the domain its manifest names', async () => {
  const shapes = await openCascade(DEFAULT_MODEL_DIR, { log: () => {} });
  assert.equal(shapes.domain.name, 'shapes');
  // The same family, its manifest saying its prompts are used as written.
  const dir = mkdtempSync(join(tmpdir(), 'baton-domain-'));
  cpSync(DEFAULT_MODEL_DIR, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, prompt_expander: 'none' }));
  const plain = await openCascade(dir, { log: () => {} });
  assert.equal(plain.domain.name, 'none');
});
