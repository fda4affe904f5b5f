/** `npm start` as a new user meets it: clear errors for bad settings, and a clean stop on SIGTERM. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { until } from './helpers.ts';

const root = join(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function env() {
  return {
    ...process.env,
    // The stack's key, description and events go beside its data: in this temporary folder.
    BATON_DATA_DIR: join(mkdtempSync(join(tmpdir(), 'baton-start-')), 's3'),
    PORT: String(await freePort()),
    BATON_S3_PORT: String(await freePort()),
    BATON_SQS_PORT: String(await freePort()),
    BATON_DYNAMODB_PORT: String(await freePort()),
  };
}

/** `npm start` in the background, once it says it is running. */
async function npmStart(
  e: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; exited: Promise<void>; output: () => string }> {
  const child = spawn('npm', ['start', '--silent'], { cwd: root, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  try {
    await until(async () => out.includes('Baton is running'), 90_000, 'the stack to start');
  } catch (e) {
    child.kill('SIGTERM');
    throw e;
  }
  return { child, exited, output: () => out };
}

test('a short BATON_API_KEY stops npm start with one line naming the variable, no stack trace', async () => {
  const r = spawnSync('npm', ['start', '--silent'], {
    cwd: root,
    env: { ...(await env()), BATON_API_KEY: 'short' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /BATON_API_KEY must be at least 20 characters.*Fix or unset BATON_API_KEY/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('a port in use stops npm start with the port and the variable that moves it', async () => {
  const e = await env();
  const busy: Server = createServer();
  await new Promise<void>((r) => busy.listen(Number(e.PORT), '127.0.0.1', r));
  try {
    const r = spawnSync('npm', ['start', '--silent'], {
      cwd: root,
      env: e,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`port ${e.PORT} is already in use.*PORT=`));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    busy.close();
  }
});

test('SIGTERM to the npm start process stops the whole stack', async () => {
  const e = await env();
  const { child, exited } = await npmStart(e);
  child.kill('SIGTERM');
  await exited;
  // Everything it started is gone: the API's port answers nothing.
  await until(
    async () => {
      try {
        await fetch(`http://127.0.0.1:${e.PORT}/healthz`);
        return false;
      } catch {
        return true;
      }
    },
    20_000,
    'the API to stop',
  );
  // …and so are the local S3 and DynamoDB servers and the worker processes (the ports are free again).
  for (const port of [e.BATON_S3_PORT, e.BATON_DYNAMODB_PORT, e.PORT]) {
    const probe = createServer();
    await until(
      () =>
        new Promise<boolean>((r) =>
          probe
            .once('error', () => r(false))
            .listen(Number(port), '127.0.0.1', () => probe.close(() => r(true))),
        ),
      20_000,
      `port ${port} to be free`,
    );
  }
});

test('npm start honours BATON_MAX_CONCURRENT_JOBS: of 20 racing long jobs 4 are accepted, the rest get 429 with Retry-After', async () => {
  const key = 'bk_start_limits_0123456789';
  const e = { ...(await env()), BATON_MAX_CONCURRENT_JOBS: '4', BATON_API_KEY: key };
  const { child, exited } = await npmStart(e);
  try {
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const r = await fetch(`http://127.0.0.1:${e.PORT}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ prompt: 'a red circle', size: '512x512', seed: i }),
        });
        await r.arrayBuffer();
        return { status: r.status, retryAfter: r.headers.get('retry-after') };
      }),
    );
    assert.equal(answers.filter((a) => a.status === 202).length, 4, JSON.stringify(answers));
    const refused = answers.filter((a) => a.status !== 202);
    assert.ok(
      refused.every((a) => a.status === 429 && Number(a.retryAfter) > 0),
      JSON.stringify(refused),
    );
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});

test('kill -9 of the stack process: its worker processes stop too, none is left running without a parent', async () => {
  const e = await env();
  // The stack's own process (not npm's), so that the signal reaches it and nothing else.
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/stack/src/start.ts'], {
    cwd: root,
    env: e,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  await until(async () => out.includes('Baton is running'), 90_000, 'the stack to start');
  const workers = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(child.pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.includes('worker-process'))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
  assert.equal(workers.length, 3, 'one worker process per stage queue');
  child.kill('SIGKILL');
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  await until(async () => workers.every((pid) => !alive(pid)), 30_000, 'the orphaned workers to stop');
});

test('npm start with BATON_DATA_DIR keeps its key, description and events beside that folder, where the CLI looks for them', async () => {
  const e = await env();
  const home = join(e.BATON_DATA_DIR, '..');
  const { child, exited, output } = await npmStart(e);
  try {
    assert.ok(existsSync(join(home, 'stack.json')), 'stack.json beside the data');
    assert.ok(existsSync(join(home, 'local-key')), 'local-key beside the data');
    const key = readFileSync(join(home, 'local-key'), 'utf8').trim();
    const { apiUrl } = JSON.parse(readFileSync(join(home, 'stack.json'), 'utf8')) as { apiUrl: string };
    const r = await fetch(`${apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'red circle', size: '64x64', seed: 1 }),
    });
    assert.equal(r.status, 202);
    // The CLI, given the same BATON_DATA_DIR, reads that stack's events.
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [join(root, 'packages/cli/bin/baton.mjs'), ...args], {
        env: e,
        encoding: 'utf8',
      });
    await until(async () => cli(['events']).stdout.includes('Job Accepted'), 30_000, 'the event');
    // The stack's JSON log lines go to stack.log beside the data; the terminal shows none.
    await until(
      async () => readFileSync(join(home, 'stack.log'), 'utf8').includes('"stage.done"'),
      30_000,
      'a log line',
    );
    assert.ok(
      !output()
        .split('\n')
        .some((l) => l.startsWith('{')),
      output(),
    );
    assert.match(output(), /logs in .*stack\.log/);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});
