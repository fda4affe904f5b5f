/** The official openai npm client, unchanged, against the local stack. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodePng } from '@baton/shapes';
import type { Stack } from '@baton/stack';
import OpenAI from 'openai';
import { stack, TEST_KEY } from './helpers.ts';

let s: Stack;
let client: OpenAI;
before(async () => {
  s = await stack();
  client = new OpenAI({ baseURL: `${s.apiUrl}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
});
after(async () => {
  await s?.close();
});

test('images.generate returns b64 PNGs with revised prompts', async () => {
  const r = await client.images.generate({
    prompt: 'a big red circle top left on white',
    n: 2,
    size: '128x128' as never,
    response_format: 'b64_json',
    user: 'test',
  });
  assert.equal(r.data?.length, 2);
  for (const d of r.data ?? []) {
    const img = decodePng(Buffer.from(d.b64_json!, 'base64'));
    assert.equal(img.width, 128);
    assert.match(d.revised_prompt!, /^a large red circle in the top left corner, on a white background$/);
  }
});

test('response_format url gives a signed link that serves the PNG', async () => {
  const r = await client.images.generate({
    prompt: 'blue box',
    size: '64x64' as never,
    response_format: 'url',
  });
  const url = r.data?.[0]?.url;
  assert.ok(url);
  const res = await fetch(url!);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/png');
});

test('errors reach the client as BadRequestError with the field', async () => {
  await assert.rejects(
    client.images.generate({ prompt: 'x', size: '1024x1024' }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && (e.error as { param?: string }).param === 'size',
  );
});
