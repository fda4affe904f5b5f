import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, configTable, DEFAULTS, forDeployment, readConfig, VARIABLES } from '../src/index.ts';

test('defaults fill what is unset; set values are parsed and typed', () => {
  const c = readConfig({ PORT: '9000', BATON_WEBHOOK_BACKOFF_MS: '10,20', BATON_EXECUTION_PROVIDER: 'cpu' });
  assert.equal(c.PORT, 9000);
  assert.equal(c.BATON_S3_PORT, 4569);
  assert.deepEqual(c.BATON_WEBHOOK_BACKOFF_MS, [10, 20]);
  assert.equal(c.BATON_EXECUTION_PROVIDER, 'cpu');
  assert.equal(c.BATON_SYNC_WAIT_MS, undefined, 'a per-deployment default stays unset');
  assert.equal(readConfig({ PORT: '' }).PORT, 8787, 'an empty value counts as unset');
});

test('a bad value fails with the variable’s name and what it must be', () => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ PORT: '70000' }, 'PORT', /whole number in 1…65535/],
    [{ BATON_API_KEY: 'short' }, 'BATON_API_KEY', /at least 20 characters/],
    [{ BATON_EXECUTION_PROVIDER: 'gpu' }, 'BATON_EXECUTION_PROVIDER', /auto, cpu, cuda/],
    [{ BATON_WEBHOOK_BACKOFF_MS: '1s' }, 'BATON_WEBHOOK_BACKOFF_MS', /comma-separated/],
    [{ BATON_S3_ENDPOINT: 'localhost' }, 'BATON_S3_ENDPOINT', /absolute URL/],
  ];
  for (const [env, name, message] of cases) {
    assert.throws(
      () => readConfig(env),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.variable === name &&
        message.test(e.message) &&
        e.message.startsWith(name),
      JSON.stringify(env),
    );
  }
});

test('the README’s table of variables is the one generated from the schema', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  assert.ok(readme.includes(configTable()), 'run `npm run config:table -- --write`');
  for (const name of Object.keys(VARIABLES)) assert.ok(readme.includes(`\`${name}\``), name);
});

test('every BATON_ variable the code reads is in the schema', () => {
  // Source files only; a variable read outside the schema would be a hidden knob.

  const out = execSync("grep -rhoE 'BATON_[A-Z0-9_]+' packages/*/src functions --include=*.ts || true", {
    cwd: new URL('../../../', import.meta.url).pathname,
    encoding: 'utf8',
  });
  const read = new Set(out.split('\n').filter((v) => v && !v.endsWith('_')));
  const infraOnly = /^BATON_(PROFILE|GPU_|WORKER_|EXPIRE_|BATCH_WINDOW)/;
  for (const v of read)
    if (!infraOnly.test(v)) assert.ok(v in VARIABLES, `${v} is read but not in the schema`);
});

test('per-deployment defaults fill only what is unset; every other default is the schema’s (one source)', () => {
  const local = forDeployment(readConfig({}), 'local');
  assert.equal(local.BATON_SYNC_WAIT_MS, 60_000);
  assert.equal(local.BATON_WAIT_SECONDS, 20);
  const lambda = forDeployment(readConfig({ BATON_SYNC_WAIT_MS: '5000' }), 'lambda');
  assert.equal(lambda.BATON_SYNC_WAIT_MS, 5000, 'a set variable wins');
  assert.equal(lambda.BATON_BATCH_POLL_SECONDS, 10);
  assert.equal(lambda.BATON_WAIT_SECONDS, undefined, 'not a Lambda setting');
  const container = forDeployment(readConfig({}), 'container');
  assert.equal(container.BATON_VISIBILITY_SECONDS, 120);
  assert.equal(DEFAULTS.BATON_MAX_CONCURRENT_JOBS, 16);
  assert.equal(DEFAULTS.BATON_SYNC_WAIT_MS, undefined, 'per deployment: no one default');
  // The README's table says each deployment's default.
  assert.match(configTable(), /\| `BATON_SYNC_WAIT_MS` \| local 60000, lambda 25000 \|/);
});
