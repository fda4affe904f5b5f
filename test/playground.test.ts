/**
 * The playground in a real headless browser (Debian's chromium via playwright-core):
 * type a prompt, see progress by stage, see the image, see it in the gallery.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Stack } from '@baton/stack';
import { type Browser, chromium } from 'playwright-core';
import { stack, TEST_KEY, whileHeld } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip =
  !existsSync(CHROMIUM) && process.env.CI !== 'true'
    ? 'needs Debian chromium (apt-get install chromium)'
    : false;

let s: Stack;
let browser: Browser;
before(async () => {
  if (skip) return;
  s = await stack();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
after(async () => {
  await browser?.close();
  await s?.close();
});

test('type a prompt, watch the stages progress, get the image and a gallery entry', {
  skip,
  timeout: 120_000,
}, async () => {
  const page = await browser.newPage();
  const seen = new Set<string>();
  await page.exposeFunction('__stage', (name: string) => seen.add(name));
  await page.goto(`${s.apiUrl}/`);
  assert.match(await page.title(), /Baton playground/);
  // The local stack fills in its own key: nothing to find and paste.
  assert.equal(await page.inputValue('#key'), TEST_KEY);
  assert.ok(await page.$('link[rel=icon]'), 'a favicon');
  await page.fill('#prompt', 'a big red circle top left on white');
  await page.fill('#seed', '7');
  await page.selectOption('#size', '256');
  // Record every stage row that shows progress while the job runs.
  await page.evaluate(() => {
    new MutationObserver(() => {
      for (const row of document.querySelectorAll<HTMLElement>('.stage')) {
        const p = row.querySelector('progress');
        if (p && p.value > 0)
          (window as unknown as { __stage: (s: string) => void }).__stage(row.dataset.stage!);
      }
    }).observe(document.getElementById('stages')!, { childList: true, subtree: true });
  });
  // The relay worker is held (SIGSTOP) until the base's preview is on screen: the preview must
  // show while the later stages still have to run, whatever the machine's speed.
  await whileHeld(s, 'relay', async () => {
    await page.click('#go');
    await page.waitForFunction(
      () => {
        const img = document.querySelector<HTMLImageElement>('#previews figure[data-stage=base] img');
        return img?.complete && img.naturalWidth === 64;
      },
      undefined,
      { timeout: 60_000, polling: 100 },
    );
    assert.equal(
      await page.$eval('#result', (img) => (img as HTMLImageElement).naturalWidth),
      0,
      'the final image is not there yet while the base preview shows',
    );
  });
  await page
    .waitForFunction(
      () => {
        const img = document.getElementById('result') as HTMLImageElement;
        return img.complete && img.naturalWidth > 0;
      },
      undefined,
      { timeout: 90_000, polling: 200 },
    )
    .catch(async (e) => {
      await page.screenshot({ path: '/tmp/baton-playground-failure.png' });
      throw e;
    });
  const width = await page.$eval('#result', (img) => (img as HTMLImageElement).naturalWidth);
  assert.equal(width, 256);
  // The seed it was made with, and a download of the image under a name that says it.
  assert.match((await page.textContent('#seed-used')) ?? '', /seed 7/);
  assert.equal(await page.getAttribute('#download', 'download'), 'baton-7-256x256.png');
  assert.match((await page.textContent('#status')) ?? '', /succeeded/);
  assert.match(
    (await page.textContent('#caption')) ?? '',
    /a large red circle in the top left corner, on a white background/,
  );
  for (const stage of ['base', 'relay1', 'relay2', 'decode'])
    assert.ok(seen.has(stage), `progress shown for ${stage}: ${[...seen]}`);
  // Each stage's image, growing: the base's 64 px preview, relay1's 128 px, then the final 256 px image.
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll<HTMLImageElement>('#previews img')].every((i) => i.naturalWidth > 0) &&
      document.querySelectorAll('#previews img').length === 3,
    undefined,
    { timeout: 10_000, polling: 100 },
  );
  const strip = await page.$$eval('#previews figure', (fs) =>
    fs.map((f) => [
      (f as HTMLElement).dataset.stage,
      (f.querySelector('img') as HTMLImageElement).naturalWidth,
    ]),
  );
  assert.deepEqual(strip, [
    ['base', 64],
    ['relay1', 128],
    ['final', 256],
  ]);
  await page.waitForSelector('#gallery figure img', { timeout: 10_000 });
  assert.match((await page.textContent('#gallery')) ?? '', /red circle/);
  await page.screenshot({ path: `${process.env.BATON_SCREENSHOT_DIR ?? '/tmp'}/baton-playground.png` });
});

test('a bad request shows the field at fault', { skip, timeout: 60_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(`${s.apiUrl}/`);
  await page.fill('#key', 'bk_not_a_real_key_000000');
  await page.fill('#prompt', 'red circle');
  await page.click('#go');
  await page.waitForFunction(
    () => (document.getElementById('error')?.textContent ?? '').length > 0,
    undefined,
    { polling: 200 },
  );
  assert.match((await page.textContent('#error')) ?? '', /API key/);
  // Nothing of a previous job stays, and no broken image is shown.
  assert.equal(await page.$eval('#result', (img) => (img as HTMLImageElement).hidden), true);
  assert.equal(await page.$eval('#stages', (el) => el.childElementCount), 0);
  assert.equal((await page.textContent('#status')) ?? '', '');
});

test('the vocabulary sits beside the prompt box; what a prompt loses is shown beside its caption', {
  skip,
  timeout: 60_000,
}, async () => {
  const page = await browser.newPage();
  await page.goto(`${s.apiUrl}/`);
  await page.click('#vocab summary');
  assert.match((await page.textContent('#vocab')) ?? '', /circle \(disc, disk, dot/);
  assert.ok(await page.isVisible('#vocab pre'));
  await page.fill('#prompt', 'a pink star in the top left on grey');
  await page.selectOption('#size', '64');
  await page.click('#go');
  await page.waitForFunction(() => document.querySelectorAll('#warnings li').length > 0, undefined, {
    polling: 100,
  });
  const warnings = await page.$$eval('#warnings li', (lis) => lis.map((li) => li.textContent ?? ''));
  assert.equal(warnings.length, 3, warnings.join('; '));
  assert.ok(warnings.some((w) => w.includes('"pink"')) && warnings.some((w) => w.includes('"star"')));
  assert.match((await page.textContent('#caption')) ?? '', /in the top left corner/);
});

test('drafts: four 64 px images side by side; a click finishes that one at the chosen size', {
  skip,
  timeout: 120_000,
}, async () => {
  const page = await browser.newPage();
  await page.goto(`${s.apiUrl}/`);
  await page.fill('#prompt', 'a small green triangle at the bottom on black');
  await page.fill('#seed', '40');
  await page.selectOption('#size', '256');
  await page.click('#go-drafts');
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll<HTMLImageElement>('#drafts img')].filter(
        (i) => i.complete && i.naturalWidth === 64,
      ).length === 4,
    undefined,
    { timeout: 60_000, polling: 200 },
  );
  const seeds = await page.$$eval('#drafts img', (imgs) => imgs.map((i) => (i as HTMLImageElement).alt));
  assert.deepEqual(seeds, ['draft, seed 40', 'draft, seed 41', 'draft, seed 42', 'draft, seed 43']);
  const draft = await page.getAttribute('#drafts button:nth-child(3)', 'data-job');
  await page.click('#drafts button:nth-child(3)');
  await page.waitForFunction(
    () => {
      const img = document.getElementById('result') as HTMLImageElement;
      return img.complete && img.naturalWidth === 256;
    },
    undefined,
    { timeout: 90_000, polling: 200 },
  );
  const meta = (await page.textContent('#seed-used')) ?? '';
  assert.match(meta, /seed 42/);
  assert.ok(meta.includes(`finished from ${draft}`), meta);
});
