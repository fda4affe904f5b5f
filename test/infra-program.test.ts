/**
 * The whole deploy program (sst.config.ts, profile cpu) evaluated offline under Pulumi's mocks
 * (scripts/infra-program.ts): what each function links against what its bundle reads, queue
 * timeouts against their consumers', the API's streaming mode, and an expiry on everything
 * stored. Needs SST's platform (npm run check:infra, which CI runs first); skipped without it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { fileKeys, INBOX, OUTBOX } from '@baton/batches';
import { keys } from '@baton/jobs';
import { build } from 'esbuild';
import { evaluateProgram, type Program, platformInstalled } from '../scripts/infra-program.ts';

const root = join(import.meta.dirname, '..');
const skip = platformInstalled() ? false : 'needs SST’s platform (npm run check:infra)';
let program: Program;

before(async () => {
  if (!skip) program = await evaluateProgram({ BATON_PROFILE: 'cpu' });
});

/** The `Resource.<name>` reads in a handler's bundle (the code SST would deploy). */
const bundles = new Map<string, Promise<Set<string>>>();
function resourcesRead(handler: string): Promise<Set<string>> {
  const entry = join(root, handler.replace(/\.handler$/, '.ts'));
  if (!bundles.has(entry))
    bundles.set(
      entry,
      build({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        format: 'esm',
        write: false,
        external: ['onnxruntime-node'],
        logLevel: 'error',
      }).then((r) => {
        const text = r.outputFiles[0]!.text;
        return new Set([...text.matchAll(/\bResource\.([A-Z]\w*)/g)].map((m) => m[1]!));
      }),
    );
  return bundles.get(entry)!;
}

test('every function links what its handler’s bundle reads through Resource (links)', { skip }, async () => {
  assert.ok(program.functions.length >= 10, `${program.functions.length} functions`);
  const problems: string[] = [];
  for (const f of program.functions) {
    const read = await resourcesRead(f.handler);
    assert.ok(read.size > 0, `${f.name} (${f.handler}) reads its resources through Resource`);
    const missing = [...read].filter((r) => !f.links.includes(r));
    if (missing.length)
      problems.push(`${f.name} (${f.handler}) reads ${missing.join(', ')} without linking it`);
  }
  assert.deepEqual(problems, []);
});

test('a function that lost a link is caught: the links check is not vacuous', { skip }, async () => {
  const api = program.functions.find((f) => f.handler === 'functions/api/index.handler')!;
  const read = await resourcesRead(api.handler);
  const without = api.links.filter((l) => l !== 'UrlSecret');
  assert.ok(read.has('UrlSecret') && [...read].some((r) => !without.includes(r)));
});

test('every queue hides a message at least as long as its consumer may run', { skip }, () => {
  for (const f of program.functions.filter((x) => x.consumes)) {
    const q = program.queues.find((x) => x.name === f.consumes)!;
    assert.ok(q, `${f.consumes} is a queue`);
    assert.ok(
      q.visibilityTimeoutSeconds >= f.timeoutSeconds,
      `${q.name} hides ${q.visibilityTimeoutSeconds} s; ${f.handler} may run ${f.timeoutSeconds} s`,
    );
  }
  // Stage queues: 6× the worker's limit (AWS's advice for a Lambda event source).
  const worker = program.functions.find((f) => f.consumes === 'BaseQueue')!;
  assert.ok(
    program.queues.find((q) => q.name === 'BaseQueue')!.visibilityTimeoutSeconds >= 6 * worker.timeoutSeconds,
  );
});

test('the API streams its responses, and its event streams end before its timeout', { skip }, () => {
  const api = program.functions.find((f) => f.handler === 'functions/api/index.handler')!;
  assert.equal(api.streaming, true);
  assert.ok(Number(api.environment.BATON_STREAM_MAX_SECONDS) < api.timeoutSeconds);
});

test('everything stored expires: the table by TTL, every bucket prefix the code writes by a lifecycle rule', {
  skip,
}, () => {
  for (const t of program.tables) assert.ok(t.ttl, `${t.name} has a TTL attribute`);
  const [lifecycle] = program.resources.filter(
    (r) => r.type === 'aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2',
  );
  const rules = lifecycle!.inputs.rules as { filter: { prefix: string }; expiration: { days: number } }[];
  const written = [
    keys.output('job_a', 'decode'),
    keys.output('job_a', 'relay1'),
    keys.preview('job_a', 0, 'base'),
    fileKeys.content('file-a'),
    `${INBOX}key/x.jsonl`,
    `${OUTBOX}key/x.jsonl/output.jsonl`,
  ];
  for (const key of written) {
    const rule = rules.find((r) => key.startsWith(r.filter.prefix));
    assert.ok(rule && rule.expiration.days > 0, `${key} expires`);
  }
});

test('CORS admits what a browser using the OpenAI SDK sends: DELETE and every non-safelisted header', {
  skip,
}, async () => {
  const { createServer } = await import('node:http');
  const { default: OpenAI } = await import('openai');
  const seen: { method: string; headers: string[] }[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method!, headers: Object.keys(req.headers) });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'file-a', object: 'file', deleted: true, created: 0, data: [] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as { port: number };
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'k', maxRetries: 0 });
    await client.images.generate({ model: 'shapes-v1', prompt: 'red circle' });
    await client.files.delete('file-a');
  } finally {
    server.close();
  }
  const api = program.functions.find((f) => f.handler === 'functions/api/index.handler')!;
  const cors = api.args.url.cors as { allowMethods: string[]; allowHeaders: string[] };
  // What a browser sends without asking (CORS-safelisted) or sets itself.
  const own = new Set([
    'host',
    'connection',
    'content-length',
    'accept',
    'accept-encoding',
    'accept-language',
    'user-agent',
  ]);
  for (const r of seen) {
    assert.ok(cors.allowMethods.includes(r.method), `${r.method} allowed`);
    for (const h of r.headers.filter((x) => !own.has(x) && !x.startsWith('sec-')))
      assert.ok(cors.allowHeaders.includes(h), `${h} (sent by the OpenAI SDK) is allowed`);
  }
  assert.ok(seen.some((r) => r.method === 'DELETE'));
  assert.ok(seen.some((r) => r.headers.some((h) => h.startsWith('x-stainless-'))));
});

test('a lone job waits for no batching window: the stage subscribers gather nothing, and still batch what waits', {
  skip,
}, () => {
  const stages = program.functions.filter((f) => f.handler === 'functions/worker/index.handler');
  assert.equal(stages.length, 6, 'three stage queues and their three lanes');
  for (const f of stages) {
    assert.equal(f.subscription?.batch.window, '0 seconds', f.name);
    assert.ok(f.subscription?.batch.size > 1, `${f.name} batches what is waiting`);
  }
});

test('every dead-letter queue has an alarm at its first message', { skip }, () => {
  const alarms = program.resources.filter((r) => r.type === 'aws:cloudwatch/metricAlarm:MetricAlarm');
  const dlqs = program.queues.filter((q) => q.name.endsWith('DeadLetters'));
  assert.equal(dlqs.length, 6, 'three stages, batches, intake, events');
  for (const q of dlqs) {
    const a = alarms.find((x) => x.inputs.dimensions?.QueueName === q.name);
    assert.ok(a, `${q.name} has an alarm`);
    assert.equal(a.inputs.metricName, 'ApproximateNumberOfMessagesVisible');
    assert.equal(a.inputs.threshold, 1);
  }
});
