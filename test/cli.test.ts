/** `npx baton` as a user runs it: files, JSON lines, errors and exit codes. */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { format, promisify } from 'node:util';
import { decodePng, parseCaption } from '@baton/shapes';
import type { Stack } from '@baton/stack';
import { main } from '../packages/cli/src/main.ts';
import { stack, TEST_KEY, until } from './helpers.ts';

const BIN = join(import.meta.dirname, '..', 'packages', 'cli', 'bin', 'baton.mjs');
/** `npx baton ARGS` as its own process: the real binary, start-up included. */
const spawnBaton = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: process.env });

/**
 * `baton ARGS` through `main(argv)` in this process, as the binary runs it but without a process
 * start per call: its exit code and what it printed (the CLI prints through console; stdout
 * itself is left alone: under `node --test` it carries the runner's own reports).
 */
async function run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = {
    log: console.log,
    error: console.error,
    warn: console.warn,
    se: process.stderr.write,
  };
  console.log = (...a: unknown[]) => void out.push(`${format(...a)}\n`);
  console.error = console.warn = (...a: unknown[]) => void err.push(`${format(...a)}\n`);
  process.stderr.write = ((chunk: unknown) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const status = await main(args);
    return { status, stdout: out.join(''), stderr: err.join('') };
  } finally {
    Object.assign(console, { log: saved.log, error: saved.error, warn: saved.warn });
    process.stderr.write = saved.se;
  }
}
const dir = mkdtempSync(join(tmpdir(), 'baton-cli-'));

test('the baton binary: generate writes a 128 px PNG and a JSON line with caption and timings', () => {
  const out = join(dir, 'one.png');
  const r = spawnBaton([
    'generate',
    'big blue box top right on white',
    '--seed',
    '3',
    '--out',
    out,
    '--json',
    '--steps-base',
    '8',
    '--steps-relay',
    '4',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const line = JSON.parse(r.stdout.trim());
  assert.equal(line.caption, 'a large blue square in the top right corner, on a white background');
  assert.equal(line.seed, 3);
  assert.deepEqual(line.stages, ['base', 'relay1', 'decode']);
  assert.ok(line.timings_ms.base > 0 && line.timings_ms.relay1 > 0 && line.timings_ms.decode > 0);
  assert.equal(decodePng(readFileSync(out)).width, 128);
});

test('--out x.jpg and x.webp write JPEG and WebP (the file name decides)', () => {
  for (const [name, magic] of [
    ['one.jpg', (b: Buffer) => b[0] === 0xff && b[1] === 0xd8],
    ['one.webp', (b: Buffer) => b.subarray(8, 12).toString() === 'WEBP'],
  ] as const) {
    const out = join(dir, name);
    const r = spawnBaton(['generate', 'red circle', '--seed', '1', '--size', '64', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(magic(readFileSync(out)), name);
  }
});

test('upscale: an image of your own, here, through the last relay: the size asked, the format --out names; a file that is no image exits 2', () => {
  const src = join(dir, 'src.jpg');
  assert.equal(
    spawnBaton(['generate', 'red circle', '--seed', '2', '--size', '128', '--out', src]).status,
    0,
  );
  const out = join(dir, 'up.png');
  const r = spawnBaton(['upscale', src, '--size', '256', '--prompt', 'red circle', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(decodePng(readFileSync(out)).width, 256);
  const junk = join(dir, 'junk.png');
  writeFileSync(junk, 'not an image');
  const bad = spawnBaton(['upscale', junk, '--size', '256', '--out', join(dir, 'x.png')]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /PNG, JPEG or WebP/);
});

test('--mode single-stage draws the same prompt with the one-pass model: 128 px, one stage, same seed same bytes', async () => {
  const a = join(dir, 'single-a.png');
  const b = join(dir, 'single-b.png');
  const args = () => ['generate', 'a small red circle on white', '--seed', '4', '--steps-base', '6'];
  const r = await run([...args(), '--mode', 'single-stage', '--out', a, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const line = JSON.parse(r.stdout.trim());
  assert.deepEqual([line.mode, line.stages, line.steps, line.size], ['single-stage', ['single'], 6, 128]);
  assert.ok(line.timings_ms.single > 0);
  assert.equal((await run([...args(), '--mode', 'single-stage', '--out', b])).status, 0);
  assert.deepEqual(readFileSync(a), readFileSync(b));
  assert.equal(decodePng(readFileSync(a)).width, 128);
  // The cascade on the same prompt and seed is another model's image.
  assert.equal((await run([...args(), '--out', b])).status, 0);
  assert.notDeepEqual(readFileSync(a), readFileSync(b));
});

test('the same prompt and seed give the same bytes; --no-expand uses the prompt verbatim', async () => {
  const a = join(dir, 'a.png');
  const b = join(dir, 'b.png');
  for (const f of [a, b])
    assert.equal(
      (await run(['generate', 'red circle', '--seed', '9', '--out', f, '--size', '64'])).status,
      0,
    );
  assert.deepEqual(readFileSync(a), readFileSync(b));
  const r = await run([
    'generate',
    'red circle',
    '--seed',
    '9',
    '--out',
    a,
    '--size',
    '64',
    '--no-expand',
    '--json',
  ]);
  assert.equal(JSON.parse(r.stdout).caption, 'red circle');
});

test('--prompt-file writes DIR/0000.png … in line order, line i with seed + i', async () => {
  const file = join(dir, 'prompts.txt');
  writeFileSync(file, 'red circle\n\n  \nblue box top left\ngreen triangle on black\n');
  const outDir = join(dir, 'many');
  const r = await run([
    'generate',
    '--prompt-file',
    file,
    '--out-dir',
    outDir,
    '--seed',
    '100',
    '--json',
    '--size',
    '64',
    '--variant',
    'distilled',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(outDir).sort(), ['0000.png', '0001.png', '0002.png']);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.seed),
    [100, 101, 102],
  );
  assert.deepEqual(
    lines.map((l) => l.variant),
    ['distilled', 'distilled', 'distilled'],
  );
  assert.match(lines[1].caption, /blue square in the top left corner/);
  assert.ok(parseCaption(lines[2].caption));
});

test('bad flags and prompts: a clear message and exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [['generate'], /give exactly one PROMPT/],
    [['generate', 'x', '--size', '100'], /size must be one of 64, 128, 256/],
    [['generate', 'x', '--seed', 'abc'], /--seed must be an integer/],
    [['generate', 'x', '--variant', 'turbo'], /--variant must be one of standard, distilled/],
    [['generate', 'x', '--steps-base', '0'], /--steps-base must be an integer in 1…200/],
    [['generate', 'x', '--cfg', 'lots'], /--cfg must be a number/],
    [['generate', 'x', '--bogus'], /unknown flag --bogus \(valid: --seed/],
    [['generate', 'x', '--sead', '3'], /unknown flag --sead; did you mean --seed\?/],
    [['generate', 'x', '--seed', '-1'], /--seed must be an integer in 0…4294967295 but is "-1"/],
    [
      ['generate', 'x', '--size', '100x100'],
      /--size must be one of 64, 128, 256, 512 \(or 64x64, 128x128, 256x256, 512x512\)/,
    ],
    [['generate', 'x', '--best-of', '9'], /--best-of/],
    [['upscale', 'in.png', '--size', '256', '--best-of', '2'], /--best-of needs --prompt/],
    [['generate', 'x', '--out', 'y.gif'], /--out must name a \.png, \.jpg \(\.jpeg\) or \.webp file/],
    [['generate', 'x', '--seed'], /--seed needs a value/],
    [['generate', '--prompt-file', '/nonexistent', '--out-dir', dir], /cannot read --prompt-file/],
    [['generate', 'x'.repeat(2000)], /prompt is 2000 characters; the limit is 1000/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['eval', '--mode', 'magic'], /--mode must be one of/],
    [['generate', 'x', '--mode', 'magic'], /--mode must be one of cascade, single-stage/],
    [['generate', 'x', '--mode', 'single-stage', '--size', '256'], /makes 128 px images/],
    [['generate', 'x', '--mode', 'single-stage', '--steps-relay', '3'], /drop --steps-relay/],
    [['generate', 'x', '--mode', 'single-stage', '--api', 'local'], /drop --api/],
  ];
  for (const [args, re] of cases) {
    const r = await run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
});

test('generate prints nothing but the path it wrote (the rest with --verbose)', () => {
  const out = join(dir, 'quiet.png');
  const r = spawnBaton(['generate', 'a red circle', '--seed', '3', '--size', '64', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${out}\n`);
  assert.equal(r.stderr, '');
  const v = spawnBaton([
    'generate',
    'a red circle',
    '--seed',
    '3',
    '--size',
    '64',
    '--out',
    out,
    '--verbose',
  ]);
  assert.match(v.stdout, /\(seed 3\) a /);
  assert.match(v.stderr, /onnxruntime execution provider/);
});

test('eval --mode single-stage judges the one-pass model and the cascade on the same prompts, side by side', async () => {
  const r = await run(['eval', '--mode', 'single-stage', '--n', '2', '--steps-base', '4', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual([report.mode, report.size, report.prompts], ['single-stage', 128, 4]);
  assert.deepEqual([report.cascade.mode, report.cascade.size, report.cascade.prompts], ['cascade', 128, 4]);
  assert.equal(report.cascade_time_ratio, report.cascade.seconds_per_image / report.seconds_per_image);
  for (const r of [report, report.cascade]) assert.ok(r.overall.aligned >= 0 && r.overall.aligned <= 1);
  const text = await run(['eval', '--mode', 'single-stage', '--n', '1', '--steps-base', '2']);
  assert.match(text.stdout, /the cascade takes \d+\.\d\d× the single-stage model's time per image; aligned/);
});

test('eval --mode upscale judges drafts at the base side upscaled with their caption to --size (best-of too); --size 64 is not an upscale', async () => {
  const r = await run(['eval', '--mode', 'upscale', '--n', '1', '--size', '128', '--best-of', '2', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual([report.mode, report.size, report.prompts, report.best_of], ['upscale', 128, 2, 2]);
  assert.ok(report.overall.aligned >= 0 && report.overall.aligned <= 1);
  const small = await run(['eval', '--mode', 'upscale', '--n', '1', '--size', '64']);
  assert.equal(small.status, 2);
  assert.match(small.stderr, /--size must be larger than 64/);
});

test('eval prints rates as percentages and, with --failures, each prompt judged wrong with its image', async () => {
  const failures = join(dir, 'failures');
  const r = await run(['eval', '--n', '3', '--size', '64', '--failures', failures]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /overall\s+\d+\.\d %/);
  const m = /(\d+) judged wrong/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const listed = r.stdout.split('\n').filter((l) => l.startsWith(`  ${failures}`));
  assert.equal(listed.length, Number(m[1]));
  for (const l of listed) assert.equal(decodePng(readFileSync(l.trim().split(/\s+/)[0]!)).width, 64);
  assert.equal(r.stderr, '');
});

test('prompt files skip blank lines and # comments; warnings name the file line', async () => {
  const file = join(dir, 'commented.txt');
  writeFileSync(file, '# my prompts\nred circle\n\n   # indented comment\nblue box with a dog\n');
  const out = join(dir, 'commented');
  const r = await run([
    'generate',
    '--prompt-file',
    file,
    '--out-dir',
    out,
    '--size',
    '64',
    '--seed',
    '1',
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.prompt),
    ['red circle', 'blue box with a dog'],
  );
  // The dog is on line 5 of the file (the second prompt).
  assert.match(r.stderr, /^warning: line 5: .*dog/m);
});

describe('against a running stack', () => {
  let s: Stack;
  before(async () => {
    // One stack for these tests; keys are read again after 200 ms (a revoke elsewhere shows soon).
    s = await stack({ keyCacheMs: 200 });
  });
  after(() => s.close());

  test('--api sends the job to a running stack: the same bytes, previews and warnings as in-process', async () => {
    // The binary, asynchronously (the stack's API lives in this process), its key from the environment.
    const env = { ...process.env, BATON_API_KEY: TEST_KEY };
    const remote = (args: string[]) =>
      promisify(execFile)(process.execPath, [BIN, ...args, '--api', s.apiUrl], { env });
    const out = join(dir, 'remote.png');
    const gen = ['generate', 'purple dot', '--seed', '5', '--size', '256', '--out', join(dir, 'p.png')];
    const remoteDir = join(dir, 'previews-remote');
    const cat = ['generate', 'a cat on a sofa', '--out', join(dir, 'remote-cat.png'), '--size', '64'];
    const [one, , loose, strict] = await Promise.all([
      remote(['generate', 'purple dot', '--seed', '5', '--out', out, '--json', '--size', '64']),
      remote([...gen, '--previews', remoteDir]),
      remote([...cat, '--json']),
      remote([...cat, '--strict']).catch((e) => e),
    ]);
    assert.equal(JSON.parse(one.stdout).seed, 5);
    assert.equal(decodePng(readFileSync(out)).width, 64);
    // The remote image is the local one, byte for byte.
    const local = join(dir, 'local.png');
    assert.equal(
      (await run(['generate', 'purple dot', '--seed', '5', '--out', local, '--size', '64'])).status,
      0,
    );
    assert.deepEqual(readFileSync(out), readFileSync(local));
    // --previews: each stage's image, the same bytes here and through the API.
    const localDir = join(dir, 'previews-local');
    assert.equal((await run([...gen, '--previews', localDir])).status, 0);
    assert.deepEqual(readdirSync(localDir).sort(), ['0-base.png', '1-relay1.png']);
    assert.deepEqual(readdirSync(remoteDir).sort(), ['0-base.png', '1-relay1.png']);
    assert.equal(decodePng(readFileSync(join(localDir, '0-base.png'))).width, 64);
    assert.equal(decodePng(readFileSync(join(localDir, '1-relay1.png'))).width, 128);
    for (const f of ['0-base.png', '1-relay1.png'])
      assert.deepEqual(readFileSync(join(localDir, f)), readFileSync(join(remoteDir, f)), f);
    // The API's warnings come back too; a strict request is refused there, exit 2.
    assert.ok(JSON.parse(loose.stdout).warnings.length > 0);
    assert.match(loose.stderr, /^warning: .*"sofa"/m);
    assert.equal(strict.code, 2);
    assert.match(strict.stderr, /prompt_not_understood|not understood/);
  });

  test('--best-of with --api: one job, its candidates scored by the stack, the same image and scores as in-process', async () => {
    const env = { ...process.env, BATON_API_KEY: TEST_KEY };
    const args = ['generate', 'red square top left on white', '--seed', '5', '--best-of', '3', '--json'];
    const run = async (extra: string[], out: string) =>
      JSON.parse(
        (
          await promisify(execFile)(process.execPath, [BIN, ...args, '--out', join(dir, out), ...extra], {
            env,
          })
        ).stdout,
      );
    const remote = await run(['--api', s.apiUrl], 'best-remote.png');
    const here = await run([], 'best-here.png');
    assert.equal(remote.best_of.candidates.length, 3);
    assert.deepEqual(remote.best_of, here.best_of);
    assert.deepEqual(readFileSync(join(dir, 'best-remote.png')), readFileSync(join(dir, 'best-here.png')));
  });

  test('continue: a 64 px draft made with --api is finished at 256 px by its job id, the same bytes as a direct 256 px image', async () => {
    const env = { ...process.env, BATON_API_KEY: TEST_KEY };
    const remote = (args: string[]) =>
      promisify(execFile)(process.execPath, [BIN, ...args, '--api', s.apiUrl], { env });
    const draft = JSON.parse(
      (
        await remote([
          'generate',
          'orange ring',
          '--seed',
          '9',
          '--size',
          '64',
          '--out',
          join(dir, 'd.png'),
          '--json',
        ])
      ).stdout,
    );
    assert.match(draft.job, /^job_/);
    const big = join(dir, 'finished.png');
    const done = JSON.parse(
      (await remote(['continue', draft.job, '--size', '256', '--out', big, '--json'])).stdout,
    );
    assert.equal(done.continued_from, draft.job);
    assert.deepEqual(done.stages, ['relay1', 'relay2', 'decode']);
    const direct = join(dir, 'direct.png');
    await remote(['generate', 'orange ring', '--seed', '9', '--size', '256', '--out', direct]);
    assert.deepEqual(readFileSync(big), readFileSync(direct));
    // Not larger: the API's 400 names the field; a bad request exits 2 (as a refused strict prompt does).
    const smaller = await remote(['continue', draft.job, '--size', '64']).catch((e) => e);
    assert.equal(smaller.code, 2);
    assert.match(smaller.stderr, /size/);
    // upscale --api: the draft's PNG through the stack's POST /v1/images/upscale.
    const up = join(dir, 'up-remote.png');
    await remote(['upscale', join(dir, 'd.png'), '--size', '128', '--out', up]);
    assert.equal(decodePng(readFileSync(up)).width, 128);
    const noApi = await run(['continue', draft.job, '--size', '256']);
    assert.equal(noApi.status, 2);
    assert.match(noApi.stderr, /--api/);
  });

  test('keys create / list / revoke against a running stack; the new key works until revoked', async () => {
    const stackFile = join(dir, 'stack.json');
    writeFileSync(stackFile, JSON.stringify(s.config));
    const created = await run(['keys', 'create', '--name', 'ci-bot', '--stack', stackFile]);
    assert.equal(created.status, 0, created.stderr);
    const lines = created.stdout.trim().split('\n');
    const key = lines.at(-1)!.split(' ').at(-1)!;
    assert.match(key, /^bk_[a-z2-7]{32}$/);
    assert.match(created.stdout, /webhook secret: whsec_/);
    const listed = await run(['keys', 'list', '--stack', stackFile]);
    assert.match(listed.stdout, /ci-bot/);
    assert.ok(!listed.stdout.includes(key), 'list never shows a key');
    const ok = await fetch(`${s.apiUrl}/v1/jobs`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(ok.status, 200);
    const revoke = await run(['keys', 'revoke', 'ci-bot', '--stack', stackFile]);
    assert.equal(revoke.status, 0);
    // It says how long API instances may still accept it (their key cache).
    assert.match(revoke.stdout, /revoked key_\w+ \(ci-bot\): API instances refuse it within 10 s/);
    // Revoked through another key store (the CLI's): the API sees it once its key cache (200 ms here) expires.
    const revoked = await until(
      async () => {
        const r = await fetch(`${s.apiUrl}/v1/jobs`, { headers: { authorization: `Bearer ${key}` } });
        return r.status === 401 && r;
      },
      10_000,
      'the revoked key to be refused',
    );
    assert.equal(revoked.status, 401);
    const bad = await run(['keys', 'create', '--stack', stackFile]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--name NAME/);
  });
});

test('keys with the stack down: one line saying nothing answers and what to start, no stack trace, exit 1', async () => {
  // A stack file whose servers are gone (ports nothing listens on).
  const file = join(dir, 'gone.json');
  const gone = 'http://127.0.0.1:9';
  writeFileSync(
    file,
    JSON.stringify({
      region: 'us-east-1',
      bucket: 'baton',
      table: 'baton',
      queues: { base: `${gone}/q`, relay: `${gone}/q`, decode: `${gone}/q` },
      s3Endpoint: gone,
      sqsEndpoint: gone,
      dynamoEndpoint: gone,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestTimeoutMs: 1000,
    }),
  );
  const r = await run(['keys', 'list', '--stack', file]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /nothing answers at 127\.0\.0\.1:9.*npm start/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('a prompt the model cannot wholly draw: warning lines on stderr and in --json; --strict exits 2 naming the words', async () => {
  const out = join(dir, 'cat.png');
  const common = ['generate', 'a cat on a sofa', '--out', out, '--size', '64', '--steps-base', '4'];
  const r = await run([...common, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const line = JSON.parse(r.stdout.trim());
  assert.ok(line.warnings.length >= 2, r.stdout);
  assert.deepEqual(
    r.stderr.trim().split('\n'),
    line.warnings.map((w: string) => `warning: ${w}`),
  );
  const strictOut = join(dir, 'cat-strict.png');
  const strict = await run(['generate', 'a cat on a sofa', '--out', strictOut, '--size', '64', '--strict']);
  assert.equal(strict.status, 2);
  assert.match(strict.stderr, /not understood: .*"sofa".*"cat"|not understood: .*"cat".*"sofa"/);
  assert.throws(() => readFileSync(strictOut));
  const clean = await run([
    'generate',
    'big blue box top right on white',
    '--out',
    out,
    '--size',
    '64',
    '--strict',
  ]);
  assert.equal(clean.status, 0, clean.stderr);
  assert.equal(clean.stderr, '');
});

test('vocab lists what prompts may say; --json as /v1/models does', async () => {
  const r = await run(['vocab']);
  assert.equal(r.status, 0, r.stderr);
  for (const w of ['red', 'purple', 'circle', 'triangle', 'small', 'large', 'top left', 'left of', '64x64'])
    assert.ok(r.stdout.includes(w), w);
  const j = JSON.parse((await run(['vocab', '--json'])).stdout);
  assert.equal(j.model, 'shapes-v1');
  assert.equal(j.vocabulary.max_objects, 2);
});

test('eval --prompts short judges paraphrases on the attributes they state', async () => {
  const r = await run([
    'eval',
    '--prompts',
    'short',
    '--n',
    '2',
    '--size',
    '64',
    '--json',
    '--steps-base',
    '4',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.prompts_kind, 'short');
  assert.equal(report.prompts, 4);
  assert.ok(report.overall.aligned >= 0 && report.overall.aligned <= 1);
  assert.equal((await run(['eval', '--prompts', 'long'])).status, 2);
});
