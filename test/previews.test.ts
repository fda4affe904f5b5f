/**
 * Progressive previews against the local stack: the official openai client's image stream
 * (partials from stage boundaries, then x₀ mid-way, then the image), preview links on job
 * objects, and an error event when the job is cancelled mid-stream.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodePng } from '@baton/shapes';
import type { Stack } from '@baton/stack';
import OpenAI from 'openai';
import { getJob, post, stack, TEST_KEY, until } from './helpers.ts';

let s: Stack;
let client: OpenAI;
before(async () => {
  s = await stack();
  client = new OpenAI({ baseURL: `${s.apiUrl}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
});
after(async () => {
  await s?.close();
});

type Ev = { type: string; b64_json?: string; partial_image_index?: number; size?: string; job_id?: string };
const width = (b64: string) => decodePng(Buffer.from(b64, 'base64')).width;

test('stream: true, partial_images: 3 at 256 px — base and relay1 boundaries, relay2 mid-way, then the image, through the official client', {
  timeout: 120_000,
}, async () => {
  const stream = await client.images.generate({
    prompt: 'a big red circle top left on white',
    size: '256x256' as never,
    stream: true,
    partial_images: 3,
  });
  const events: Ev[] = [];
  for await (const e of stream) events.push(e as Ev);
  assert.deepEqual(
    events.map((e) => [e.type, e.partial_image_index ?? null]),
    [
      ['image_generation.partial_image', 0],
      ['image_generation.partial_image', 1],
      ['image_generation.partial_image', 2],
      ['image_generation.completed', null],
    ],
  );
  for (const e of events) {
    assert.equal(e.size, '256x256');
    assert.equal(width(e.b64_json!), 256, 'each shown at the requested size');
  }
  const job = await getJob(s.apiUrl, events.at(-1)!.job_id!);
  assert.deepEqual(
    job.previews.map((p: { source: string }) => p.source.replace(/@\d+$/, '@k')),
    ['base', 'relay1', 'relay2@k'],
  );
  // The previews are each stage's own image: 64, then 128, then 256 px.
  const sizes = [];
  for (const p of job.previews)
    sizes.push(decodePng(new Uint8Array(await (await fetch(p.url)).arrayBuffer())).width);
  assert.deepEqual(sizes, [64, 128, 256]);
});

test('partial_images: 2 at 256 px — the 64 px and 128 px stages shown at 256, then the very image a non-streamed request makes', {
  timeout: 120_000,
}, async () => {
  const request = { prompt: 'a small green square bottom right on purple', size: '256x256', seed: 4242 };
  const stream = await client.images.generate({ ...request, stream: true, partial_images: 2 } as never);
  const events: Ev[] = [];
  for await (const e of stream as unknown as AsyncIterable<Ev>) events.push(e);
  assert.deepEqual(
    events.map((e) => [e.type, e.partial_image_index ?? null]),
    [
      ['image_generation.partial_image', 0],
      ['image_generation.partial_image', 1],
      ['image_generation.completed', null],
    ],
  );
  // Each partial is 256 px; its content is the stage's own: 4 × 4 blocks of one colour (64 px),
  // then 2 × 2 blocks (128 px) that are not all 4 × 4 blocks.
  const [p64, p128] = events.map((e) => decodePng(Buffer.from(e.b64_json!, 'base64')));
  for (const p of [p64!, p128!]) assert.deepEqual([p.width, p.height], [256, 256]);
  assert.equal(blockSide(p64!), 4);
  assert.ok(new Set(p64!.data).size > 3, 'the 64 px partial shows the scene, not a flat fill');
  assert.equal(blockSide(p128!), 2);
  const plain = await client.images.generate({ ...request, response_format: 'b64_json' } as never);
  assert.ok(
    Buffer.from(events.at(-1)!.b64_json!, 'base64').equals(Buffer.from(plain.data![0]!.b64_json!, 'base64')),
    'the streamed image is byte for byte the non-streamed one',
  );
});

/** The largest of 4, 2, 1 such that the image is made of uniform blocks of that side. */
function blockSide(img: { width: number; height: number; data: Uint8Array }): number {
  const channels = img.data.length / (img.width * img.height);
  const uniform = (side: number) => {
    for (let y = 0; y < img.height; y++)
      for (let x = 0; x < img.width; x++) {
        const here = (y * img.width + x) * channels;
        const corner = ((y - (y % side)) * img.width + (x - (x % side))) * channels;
        for (let c = 0; c < channels; c++) if (img.data[here + c] !== img.data[corner + c]) return false;
      }
    return true;
  };
  return [4, 2, 1].find(uniform)!;
}

test('partial_images: 0 streams only the image and stores no preview; n > 1 with stream is refused', {
  timeout: 60_000,
}, async () => {
  const stream = await client.images.generate({
    prompt: 'blue box',
    size: '128x128' as never,
    stream: true,
    partial_images: 0,
  });
  const events: Ev[] = [];
  for await (const e of stream) events.push(e as Ev);
  assert.deepEqual(
    events.map((e) => e.type),
    ['image_generation.completed'],
  );
  const job = await getJob(s.apiUrl, events[0]!.job_id!);
  assert.deepEqual(job.previews, []);
  assert.ok(job.stages.every((st: { preview_url: string | null }) => st.preview_url === null));
  const two = await post(`${s.apiUrl}/v1/images/generations`, { prompt: 'x', stream: true, n: 2 });
  assert.equal(two.status, 400);
  assert.equal(two.body.error.param, 'n');
});

test('job objects carry a signed preview link per finished stage', { timeout: 60_000 }, async () => {
  const r = await post(`${s.apiUrl}/v1/jobs`, {
    prompt: 'green triangle at the bottom on black',
    size: '256x256',
  });
  const done = await until(async () => {
    const j = await getJob(s.apiUrl, r.body.id);
    return j.status === 'succeeded' && j;
  });
  const urls = done.stages.map((st: { name: string; preview_url: string | null }) => [
    st.name,
    st.preview_url !== null,
  ]);
  assert.deepEqual(urls, [
    ['base', true],
    ['relay1', true],
    ['relay2', false],
    ['decode', false],
  ]);
  const base = await fetch(done.stages[0].preview_url);
  assert.equal(decodePng(new Uint8Array(await base.arrayBuffer())).width, 64);
  const forged = done.stages[0].preview_url.replace(/signature=[^&]+/, 'signature=AAAA');
  assert.equal((await fetch(forged)).status, 404);
  const off = await post(`${s.apiUrl}/v1/jobs`, { prompt: 'red dot', size: '128x128', previews: false });
  const plain = await until(async () => {
    const j = await getJob(s.apiUrl, off.body.id);
    return j.status === 'succeeded' && j;
  });
  assert.deepEqual(plain.previews, []);
});

test('a job cancelled mid-stream ends the stream with an OpenAI-shaped error event', {
  timeout: 90_000,
}, async () => {
  // 200 relay steps a stage: the cancel lands mid-stage however fast or slow the machine is.
  const stream = await client.images.generate({
    prompt: 'a small purple dot top right on yellow',
    size: '256x256' as never,
    stream: true,
    partial_images: 2,
    steps_relay: 200,
  } as never);
  const seen: Ev[] = [];
  const consumed = (async () => {
    for await (const e of stream as unknown as AsyncIterable<Ev>) {
      seen.push(e);
      if (seen.length === 1) await post(`${s.apiUrl}/v1/jobs/${e.job_id}/cancel`, {});
    }
  })();
  await assert.rejects(consumed, (e: Error) => e instanceof OpenAI.APIError && /canceled/.test(e.message));
  // A partial already in flight when the cancel lands may still arrive (a loaded machine can
  // finish relay1 first); the completed event never does: the error ends the stream.
  assert.ok(seen.length >= 1 && seen.length <= 2, `${seen.length} events before the error`);
  assert.ok(
    seen.every((e) => e.type === 'image_generation.partial_image'),
    'no completed event after the cancel',
  );
  const id = seen[0]!.job_id!;
  assert.ok(await until(async () => (await getJob(s.apiUrl, id)).status === 'canceled'));
});

test('a stream in output_format webp sends its partials and its image as WebP, and says so', {
  timeout: 60_000,
}, async () => {
  const stream = await client.images.generate({
    prompt: 'blue box',
    size: '128x128' as never,
    stream: true,
    partial_images: 1,
    output_format: 'webp',
  } as never);
  const events: (Ev & { b64_json: string; output_format: string })[] = [];
  for await (const e of stream as unknown as AsyncIterable<unknown>) events.push(e as never);
  assert.deepEqual(
    events.map((e) => e.type),
    ['image_generation.partial_image', 'image_generation.completed'],
  );
  for (const e of events) {
    assert.equal(e.output_format, 'webp');
    assert.equal(Buffer.from(e.b64_json, 'base64').subarray(8, 12).toString(), 'WEBP');
  }
});
