/**
 * The second judge (training/baton_train/judge.py, written from the spec in Python) grades what
 * `baton eval --save` writes, and agrees with the product's judge on renders right and wrong.
 * Needs Debian's python3-numpy and python3-pil, which .ci/run installs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PortableNoise } from '@baton/diffusion';
import { caption, encodePng, judge, render, sampleScene, withOneWrong } from '@baton/shapes';

const root = join(import.meta.dirname, '..');
const python = (args: string[]) =>
  spawnSync('/usr/bin/python3', args, { cwd: join(root, 'training'), encoding: 'utf8' });
const hasLibs = python(['-c', 'import numpy, PIL']).status === 0;
const skip = !hasLibs && process.env.CI !== 'true' ? 'needs Debian python3-numpy and python3-pil' : false;

test('the second judge passes renders of their captions, fails each with one attribute changed, and agrees with the product judge on every image', {
  skip,
  timeout: 120_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-judge-'));
  const rng = new PortableNoise(5, 0x7d9);
  const lines: string[] = [];
  let right = 0;
  for (let i = 0; i < 30; i++) {
    const scene = sampleScene(rng, i % 2 ? 2 : 1);
    const which = ([undefined, 'shape', 'size', 'colour'] as const)[i % 4];
    const image = render(which ? withOneWrong(scene, which) : scene, 128);
    const file = `${i}.png`;
    writeFileSync(join(dir, file), encodePng(image));
    const aligned = judge(image, scene).aligned;
    right += Number(aligned);
    lines.push(
      JSON.stringify({ file, caption: caption(scene), group: `${scene.objects.length}-object`, aligned }),
    );
  }
  writeFileSync(join(dir, 'index.jsonl'), `${lines.join('\n')}\n`);
  assert.equal(right, 8, 'the product judge passes the 8 renders left as captioned, no other');
  const r = python(['-m', 'baton_train.judge', dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^all: [\\d.]+ % aligned \\(${right}/30\\)$`, 'm'));
  assert.match(r.stdout, /^agrees with the product judge on 30\/30 images$/m);
  // A caption outside the canonical grammar is an error naming the file, not a verdict.
  writeFileSync(join(dir, 'index.jsonl'), `${JSON.stringify({ file: '0.png', caption: 'red circle' })}\n`);
  const bad = python(['-m', 'baton_train.judge', dir]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /0\.png: not a canonical caption/);
});
