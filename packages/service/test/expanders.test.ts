/** The LLM expander against a local server speaking the chat-completions protocol. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { shapesDomain } from '@baton/shapes';
import { COGVIEW3_SYSTEM_PROMPT, LlmExpander, shapesExpander } from '../src/index.ts';

let server: Server;
let url: string;
let mode: 'ok' | 'slow' | 'error' | 'malformed' = 'ok';
let content = ' "A detailed caption." ';
const seen: { auth?: string; body: any }[] = [];

before(async () => {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => {
      data += c;
    });
    req.on('end', () => {
      seen.push({ auth: req.headers.authorization, body: JSON.parse(data) });
      if (req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      if (mode === 'error')
        return void res
          .writeHead(500, { 'content-type': 'application/json' })
          .end('{"error":{"message":"boom"}}');
      if (mode === 'malformed')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices":[]}');
      const reply = () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            choices: [{ index: 0, message: { role: 'assistant', content } }],
          }),
        );
      // 'slow': a server that never answers (its connection is closed after the tests).
      if (mode !== 'slow') reply();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const expander = () =>
  new LlmExpander({ url, model: 'test-model', apiKey: 'sk-test', timeoutMs: 500, fallback: shapesExpander });

test('sends CogView3-style chat completion and uses the reply', async () => {
  mode = 'ok';
  const e = await expander().expand('red circle', 1);
  assert.deepEqual(e, { caption: 'A detailed caption.', warnings: [], words: [], expander: 'llm' });
  const req = seen.at(-1)!;
  assert.equal(req.auth, 'Bearer sk-test');
  assert.equal(req.body.model, 'test-model');
  assert.equal(req.body.temperature, 0.01);
  assert.equal(req.body.top_p, 0.7);
  assert.equal(req.body.max_tokens, 300);
  assert.equal(req.body.messages[0].content, COGVIEW3_SYSTEM_PROMPT);
  assert.match(req.body.messages[1].content, /red circle/);
});

test('over its time budget it falls back', async () => {
  mode = 'slow';
  const t0 = Date.now();
  const e = await expander().expand('red circle', 1);
  assert.ok(Date.now() - t0 < 1200, 'did not wait for the slow server');
  assert.equal(e.expander, 'shapes');
  assert.match(e.caption, /red circle/);
  assert.match(e.fallback!, /timeout|aborted/i);
});

test('HTTP errors and malformed replies fall back', async () => {
  mode = 'error';
  assert.match((await expander().expand('blue box', 2)).fallback!, /HTTP 500/);
  mode = 'malformed';
  assert.match((await expander().expand('blue box', 2)).fallback!, /malformed/);
});

test('an unreachable endpoint falls back to the prompt as given by default', async () => {
  const e = await new LlmExpander({ url: 'http://127.0.0.1:1/v1', model: 'm', timeoutMs: 300 }).expand(
    ' a cat ',
    1,
  );
  assert.equal(e.caption, 'a cat');
  assert.equal(e.expander, 'none');
  assert.ok(e.fallback);
});

test('for the shapes models the reply is read back: it fills what the prompt left open, changes nothing it stated, and what it cannot say is a warning', async () => {
  mode = 'ok';
  content = 'A large blue circle in the bottom right corner with a soft shadow, on a white background';
  try {
    const llm = new LlmExpander({
      url,
      model: 'm',
      timeoutMs: 500,
      fallback: shapesExpander,
      domain: shapesDomain,
    });
    const e = await llm.expand('a red circle in the top left', 3);
    assert.equal(e.expander, 'llm');
    assert.equal(e.caption, 'a large red circle in the top left corner, on a white background');
    assert.ok(
      e.warnings.some((w) => /"soft", "shadow"/.test(w)),
      e.warnings.join('; '),
    );
    assert.ok(e.warnings.some((w) => /changed object 1's colour to blue; kept the prompt's red/.test(w)));
    assert.ok(
      !e.warnings.some((w) => /\bcell\b|\bv\b/.test(w)),
      "the prompt stated the place: the reply's is not used",
    );
    content = 'A small green triangle at the top, on a purple background';
    const clean = await llm.expand('a triangle', 3);
    assert.equal(clean.caption, 'a small green triangle at the top, on a purple background');
    assert.deepEqual(clean.warnings, []);
  } finally {
    content = ' "A detailed caption." ';
  }
});
