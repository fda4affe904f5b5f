/** npm start's link secret: made once, kept with the data, the same after a restart. */
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { keptSecret } from '../src/kept-secret.ts';

test('a kept secret is made at the first start and read back at every later one, readable by its owner only', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'baton-secret-')), 's3', '.url-secret');
  const first = keptSecret(file);
  assert.match(first, /^[0-9a-f]{64}$/);
  assert.equal(keptSecret(file), first);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.notEqual(keptSecret(join(mkdtempSync(join(tmpdir(), 'baton-secret-')), 'x')), first);
});
