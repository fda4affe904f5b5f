/**
 * The GPU container's worker entry, bundled as the image bundles it, run as a process
 * against the local S3 and SQS servers: it processes jobs, and on SIGTERM it finishes
 * (or gives back) the batch in hand, so nothing accepted is lost.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { configToEnv } from '@baton/aws';
import { keys } from '@baton/jobs';
import { DEFAULT_MODEL_DIR } from '@baton/pipeline';
import type { Stack } from '@baton/stack';
import { connectWorker } from '@baton/worker';
import { build } from 'esbuild';
import { getJob, post, stack, until } from './helpers.ts';

const root = join(import.meta.dirname, '..');
let s: Stack;
let bundle: string;

before(async () => {
  s = await stack({ workers: false, visibilityTimeoutSeconds: 5 });
  // In a temporary folder (tests write nothing into the repository), with node_modules linked
  // beside it, so the runtime resolves as it does beside the image's worker.mjs.
  const dir = mkdtempSync(join(tmpdir(), 'baton-bundle-'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  bundle = join(dir, 'worker.mjs');
  await build({
    entryPoints: [join(root, 'functions/container/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['onnxruntime-node'],
    outfile: bundle,
    nodePaths: [join(root, 'node_modules')],
    banner: {
      js: "import{createRequire as __baton_cr}from'module';const require=__baton_cr(import.meta.url);",
    },
    logLevel: 'silent',
  });
});
after(async () => {
  await s?.close();
});

function startWorker(stage: string): ChildProcess {
  return spawn(process.execPath, [bundle], {
    cwd: root,
    env: {
      ...process.env,
      ...configToEnv(s.config),
      BATON_STAGE_QUEUE: stage,
      BATON_MODEL_DIR: DEFAULT_MODEL_DIR,
      BATON_WAIT_SECONDS: '1',
      BATON_VISIBILITY_SECONDS: '5',
      BATON_HEARTBEAT_SECONDS: '1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const alive = (ps: ChildProcess[]) => {
  for (const p of ps)
    if (p.exitCode !== null) throw new Error(`a worker exited early with code ${p.exitCode}`);
};

const exited = (p: ChildProcess) =>
  new Promise<number | null>((r) =>
    p.exitCode !== null ? r(p.exitCode) : p.once('exit', (code) => r(code)),
  );

test('bundled container workers process a job through every stage, then stop cleanly on SIGTERM', async () => {
  const workers = ['base', 'relay', 'decode'].map(startWorker);
  try {
    const r = await post(`${s.apiUrl}/v1/jobs`, { prompt: 'red circle', size: '256x256', seed: 21 });
    const j = await until(
      async () => {
        alive(workers);
        const x = await getJob(s.apiUrl, r.body.id);
        return x.status === 'succeeded' ? x : null;
      },
      120_000,
      'job',
    );
    assert.equal(j.stages.length, 4);
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    const codes = await Promise.all(workers.map(exited));
    assert.deepEqual(codes, [0, 0, 0]);
  }
});

test('SIGTERM mid-stage: the batch in hand is finished or given back, and the job still completes', async () => {
  const base = startWorker('base');
  const r = await post(`${s.apiUrl}/v1/jobs`, {
    prompt: 'green square',
    size: '128x128',
    seed: 8,
    steps_base: 120,
  });
  const id = r.body.id as string;
  await until(
    async () => {
      alive([base]);
      return (await getJob(s.apiUrl, id)).progress?.step >= 1;
    },
    120_000,
    'progress',
  );
  const stoppedAt = Date.now();
  base.kill('SIGTERM');
  assert.equal(await exited(base), 0);
  // ECS kills a task 30 s after SIGTERM (stopTimeout in infra/gpu.ts): it must be gone before.
  assert.ok(Date.now() - stoppedAt < 30_000, `exited ${Date.now() - stoppedAt} ms after SIGTERM`);
  const { jobs } = connectWorker(s.config);
  // Either the worker finished the base stage before leaving, or its message is back on the queue.
  const finishedBase = await jobs.store.exists(keys.output(id, 'base'));
  const workers = ['base', 'relay', 'decode'].map(startWorker);
  try {
    const j = await until(
      async () => {
        alive(workers);
        const x = await getJob(s.apiUrl, id);
        return x.status === 'succeeded' ? x : null;
      },
      120_000,
      `job (base finished before SIGTERM: ${finishedBase})`,
    );
    assert.equal(j.status, 'succeeded');
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map(exited));
  }
});
