/** Webhook SSRF: refused at submit where the host is a literal, at connect where a name resolves inside. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { after, before, test } from 'node:test';
import { parseAllowList, webhookUrlProblem } from '@baton/jobs';
import { postWebhook } from '../src/webhook-post.ts';

const INTERNAL = [
  'http://169.254.169.254/latest/meta-data/',
  'http://10.0.0.1/',
  'http://172.16.5.4:8080/',
  'http://192.168.1.1/',
  'http://localhost:8080/',
  'http://api.localhost/',
  'http://metadata.google.internal/',
  // Names that mean this machine or its network whatever DNS says, with and without the root dot.
  'http://localhost./',
  'http://LOCALHOST.:8080/',
  'http://api.localhost./',
  'http://metadata.google.internal./',
  'http://ip6-localhost/',
  'http://localhost.localdomain/',
  'http://printer.local/',
  'http://router.home.arpa/',
  'http://[::1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[fd00::1]/',
  'http://[fe80::1]/',
  'http://0.0.0.0/',
  'http://2130706433/',
  'http://0x7f000001/',
  'http://0177.0.0.1/',
  'http://127.1/',
  'http://100.64.0.1/',
  'http://user:pass@127.0.0.1/',
  'http://user:pass@example.com/',
  'ftp://example.com/',
  'file:///etc/passwd',
];

test('internal, loopback, link-local, metadata and unspecified addresses are refused in every spelling', () => {
  const none = parseAllowList([]);
  for (const url of INTERNAL) assert.ok(webhookUrlProblem(url, none), url);
  for (const url of ['https://example.com/hook', 'http://8.8.8.8:8080/x', 'https://[2606:4700::1111]/'])
    assert.equal(webhookUrlProblem(url, none), null, url);
});

test('the allow-list admits exactly its hosts (and ports), nothing by default', () => {
  const allow = parseAllowList(['127.0.0.1:9000', 'localhost']);
  assert.equal(webhookUrlProblem('http://127.0.0.1:9000/hook', allow), null);
  assert.ok(webhookUrlProblem('http://127.0.0.1:9001/hook', allow), 'another port');
  assert.equal(webhookUrlProblem('http://localhost:1234/', allow), null, 'a host without port: any port');
  assert.ok(webhookUrlProblem('http://10.0.0.1/', allow));
  assert.ok(webhookUrlProblem('http://127.0.0.1:9000/', parseAllowList(undefined)));
});

let receiver: Server;
let other: Server;
let hits: string[] = [];
const portOf = (s: Server) => (s.address() as AddressInfo).port;

before(async () => {
  other = createServer((req, res) => {
    hits.push(`other ${req.url}`);
    res.writeHead(204).end();
  });
  receiver = createServer((req, res) => {
    hits.push(`receiver ${req.url}`);
    res.writeHead(302, { location: `http://127.0.0.1:${portOf(other)}/internal` }).end();
  });
  await Promise.all([
    new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r)),
    new Promise<void>((r) => other.listen(0, '127.0.0.1', r)),
  ]);
});
after(() => {
  receiver.close();
  other.close();
});

test('a name that resolves to loopback is refused at connect time (the address actually connected to)', async () => {
  hits = [];
  // A public-looking name whose DNS answer is 127.0.0.1 (DNS rebinding): it passes the literal check.
  const rebinding = ((_host: string, options: { all?: boolean }, cb: (...a: unknown[]) => void) => {
    if (options.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
    else cb(null, '127.0.0.1', 4);
  }) as unknown as LookupFunction;
  await assert.rejects(
    postWebhook(`http://hooks.example.com:${portOf(other)}/x`, {}, '{}', {
      timeoutMs: 2000,
      allow: parseAllowList([]),
      lookup: rebinding,
    }),
    /not allowed|private|loopback/i,
  );
  assert.deepEqual(hits, [], 'nothing reached the internal server');
});

test('redirects are not followed: the 3xx is the answer, the redirect target sees nothing', async () => {
  hits = [];
  const allow = parseAllowList([`127.0.0.1:${portOf(receiver)}`]);
  const status = await postWebhook(`http://127.0.0.1:${portOf(receiver)}/hook`, {}, '{}', {
    timeoutMs: 2000,
    allow,
  });
  assert.equal(status, 302);
  assert.deepEqual(hits, ['receiver /hook']);
});
