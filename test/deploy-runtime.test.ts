/**
 * AWS no longer creates nodejs20.x functions (blocked since 2026-08-31): every function and the
 * GPU image must run a Node that Lambda still supports. Read from the infra sources as deployed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..');
const SUPPORTED = new Set(['nodejs22.x', 'nodejs24.x']);

test('every Lambda pins a supported Node runtime, and the GPU image the same major', () => {
  const pinned: string[] = [];
  for (const f of readdirSync(join(root, 'infra')).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(root, 'infra', f), 'utf8');
    for (const m of text.matchAll(/runtime:\s*'([^']+)'/g)) pinned.push(`${f}: ${m[1]}`);
  }
  assert.ok(pinned.length > 0, 'the infra pins its runtimes');
  for (const p of pinned) assert.ok(SUPPORTED.has(p.split(': ')[1]!), p);
  const docker = readFileSync(join(root, 'functions/container/Dockerfile'), 'utf8');
  const major = Number(/ARG NODE_VERSION=(\d+)\./.exec(docker)?.[1]);
  assert.ok(major === 22 || major === 24, `GPU image Node ${major}`);
  assert.match(docker, new RegExp(`--target=node${major}`), 'the bundle targets the image’s Node');
});

test('the synchronous wait must fit in the Router’s read timeout: a deploy that would be cut is refused', () => {
  const load = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', '-e', "await import('./infra/config.ts')"], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
  assert.equal(load({}).status, 0, 'the defaults fit (25 s wait, 60 s read timeout)');
  const cut = load({ BATON_SYNC_WAIT_MS: '58000' });
  assert.notEqual(cut.status, 0);
  assert.match(cut.stderr, /BATON_SYNC_WAIT_MS \(58000 ms\) \+ 5 s must fit in the Router's read timeout/);
  assert.notEqual(
    load({ BATON_ROUTER_READ_TIMEOUT_SECONDS: '20' }).status,
    0,
    'CloudFront’s default 20 s is too short',
  );
});

test('every prefix the code writes has a lifecycle rule (state is in the table, not the bucket)', async () => {
  const { keys } = await import('@baton/jobs');
  const { fileKeys, INBOX, OUTBOX } = await import('@baton/batches');
  const { lifecycle, KEPT } = await import('../infra/lifecycle.ts');
  const rules = lifecycle({
    expireLatentsDays: 1,
    expireImagesDays: 30,
    expireUsageDays: 400,
    expireBatchesDays: 30,
  });
  const covered = [...rules.map((r) => r.prefix), ...KEPT];
  // Every key the job model makes, with sample arguments: its first path segment must be covered.
  const sample = (k: unknown): string => {
    if (typeof k === 'string') return k;
    const f = k as (...a: unknown[]) => string;
    try {
      return f('o', 'd', 'job_x', 'base', 1);
    } catch {
      return f({ id: 'job_x', owner: 'o', createdAt: 0 }); // a key made from a job request
    }
  };
  // The Batch API's files, and the S3 inbox and outbox.
  const samples = [...Object.values(keys), ...Object.values(fileKeys)].map(sample);
  for (const key of [...samples, INBOX, OUTBOX])
    assert.ok(
      covered.some((p) => key.startsWith(p)),
      `${key} has no lifecycle rule`,
    );
});

test('the GPU image: platform pinned, a .dockerignore, one image for every stage', () => {
  const docker = readFileSync(join(root, 'functions/container/Dockerfile'), 'utf8');
  assert.match(docker, /^FROM --platform=linux\/amd64 /m);
  assert.doesNotMatch(docker, /ARG STAGE|BATON_STAGE_QUEUE=/, 'the stage is the task’s, not the image’s');
  const ignore = readFileSync(join(root, '.dockerignore'), 'utf8');
  for (const p of ['node_modules', '.git', 'training'])
    assert.match(ignore, new RegExp(`^${p.replace('.', '\\.')}$`, 'm'));
  assert.doesNotMatch(readFileSync(join(root, 'infra/gpu.ts'), 'utf8'), /gpu\.image\}:\$\{stage\}/);
});
