/**
 * The S3 adapter against a scripted HTTP server: a request the server never answers fails
 * after the timeout and is retried (no caller hangs), 5xx are retried, 404 is "absent".
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { type AwsConfig, S3BlobStore } from '../src/index.ts';

type Script = (req: IncomingMessage, res: ServerResponse, n: number) => void;
let script: Script = (_req, res) => res.end();
let seen: string[] = [];
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    seen.push(`${req.method} ${req.url}`);
    script(req, res, seen.length);
  });
});
let config: AwsConfig;
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  config = {
    region: 'us-east-1',
    bucket: 'b',
    table: 't',
    queues: { base: '', relay: '', decode: '' },
    s3Endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  };
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const hang: Script = () => {}; // never answers
const ok: Script = (_req, res) => {
  res.writeHead(200, { 'content-length': '2', etag: '"e"' });
  res.end('hi');
};

test('a request the server never answers times out and is retried: the caller gets its answer', async () => {
  seen = [];
  script = (req, res, n) => (n === 1 ? hang(req, res, n) : ok(req, res, n));
  const store = new S3BlobStore(config, 'b', 300);
  const t0 = Date.now();
  assert.deepEqual(await store.get('k'), new TextEncoder().encode('hi'));
  assert.ok(seen.length >= 2, `${seen.length} requests`);
  assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
});

test('a server that never answers: the call fails with a timeout, in bounded time', async () => {
  seen = [];
  script = hang;
  const store = new S3BlobStore(config, 'b', 200);
  const t0 = Date.now();
  await assert.rejects(store.put('k', 'v'), (e: Error) => e.name === 'TimeoutError');
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
});

test('5xx and dropped connections are retried; 404 reads as absent', async () => {
  seen = [];
  script = (req, res, n) => {
    if (n === 1) {
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<Error><Code>SlowDown</Code><Message>slow</Message></Error>');
    } else if (n === 2) req.socket.destroy();
    else ok(req, res, n);
  };
  const store = new S3BlobStore(config, 'b', 2_000);
  await store.put('k', 'v');
  assert.ok(seen.length >= 3);
  seen = [];
  script = (_req, res) => {
    res.writeHead(404, { 'content-type': 'application/xml' });
    res.end('<Error><Code>NoSuchKey</Code><Message>none</Message></Error>');
  };
  assert.equal(await store.get('missing'), null);
  assert.equal(await store.exists('missing'), false);
  assert.equal(seen.length, 2, 'a 404 is an answer, not retried');
});

test('putIfAbsent sends If-None-Match: * and reads 412 as "someone else wrote it first"', async () => {
  const headers: string[] = [];
  let exists = false;
  script = (req, res) => {
    headers.push(String(req.headers['if-none-match']));
    if (exists) {
      res.writeHead(412, { 'content-type': 'application/xml' });
      res.end('<Error><Code>PreconditionFailed</Code><Message>exists</Message></Error>');
    } else {
      exists = true;
      ok(req, res, 0);
    }
  };
  const store = new S3BlobStore(config, 'b', 2_000);
  assert.equal(await store.putIfAbsent('claim', 'first'), true);
  assert.equal(await store.putIfAbsent('claim', 'second'), false);
  assert.deepEqual(headers, ['*', '*']);
});
