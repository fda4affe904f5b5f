/**
 * `npm run check:aws`: the offline proof that the Lambda packages a deploy makes would work.
 * Each function's deployment folder is built as SST builds it (an esbuild bundle, the files
 * it copies, `npm install --os=linux --cpu=x64` of its `nodejs.install` list, the postbuild
 * hook), its unzipped size checked against AWS's 250 MB, and then its handler is run *from that
 * folder* (its own node_modules, its relative model path) against the local S3 and SQS servers:
 * the API takes a job by a function-URL event, the worker runs every stage from real SQS
 * events, the API reads the finished job back. Ends with "N functions packaged, largest X MB unzipped".
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AwsConfig, SqsQueue, type StageQueue } from '@baton/aws';
import { connectJobs } from '@baton/jobs';
import { KeyStore } from '@baton/service';
import { startLocalAws } from '@baton/stack';
import { build } from 'esbuild';
import { LAMBDA_UNZIPPED_LIMIT_MB, sizeOf } from '../infra/lambda-package.ts';
import { evaluateProgram, type Loose } from './infra-program.ts';

const root = join(import.meta.dirname, '..');
const out = join(root, '.baton', 'aws-artifacts');

interface FunctionSpec {
  name: string;
  handler: string;
  /** As the program gives it: `nodejs.install`, `copyFiles`, `hook` (infra/lambda-package.ts). */
  args: Loose;
  /** The components it links: only their SST_RESOURCE_* reach it when it runs. */
  links: string[];
}

/**
 * The functions the deploy program creates (sst.config.ts evaluated offline, profile cpu), one
 * per handler, with the links, files and install list the program gives it: nothing here is a copy.
 */
const program = await evaluateProgram({ BATON_PROFILE: 'cpu' });
const FUNCTIONS: FunctionSpec[] = [...new Map(program.functions.map((f) => [f.handler, f])).values()].map(
  (f) => ({
    name: /^functions\/([\w-]+)\//.exec(f.handler)![1]!,
    handler: f.handler.replace(/\.handler$/, '.ts'),
    args: f.args,
    links: f.links,
  }),
);

/** Builds one function's deployment folder; returns its path and unzipped size (bytes). */
async function packageFunction(fn: FunctionSpec): Promise<{ dir: string; bytes: number }> {
  const dir = join(out, fn.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const install: Record<string, string> = fn.args.nodejs?.install ?? {};
  await build({
    entryPoints: [join(root, fn.handler)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: Object.keys(install),
    outfile: join(dir, fn.handler.replace(/\.ts$/, '.mjs')),
    banner: { js: "import{createRequire as __sst_cr}from'module';const require=__sst_cr(import.meta.url);" },
    logLevel: 'error',
  });
  for (const f of (fn.args.copyFiles ?? []) as { from: string; to: string }[])
    cpSync(join(root, f.from), join(dir, f.to), { recursive: true });
  if (Object.keys(install).length) {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ dependencies: install }));
    // As SST runs it: in the artifact folder, so the project's allowScripts (denying the runtime's
    // postinstall) is not read; the skip comes from the environment, as docs/deploy.md says to deploy.
    execFileSync('npm', ['install', '--os=linux', '--cpu=x64', '--omit=dev', '--no-audit', '--no-fund'], {
      cwd: dir,
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const installed = sizeOf(dir);
    await fn.args.hook?.postbuild?.(dir);
    console.log(
      `${fn.name}: ${(installed / 1e6).toFixed(1)} MB as npm installed it; the postbuild hook prunes the rest`,
    );
  }
  return { dir, bytes: sizeOf(dir) };
}

/**
 * Invokes a packaged handler in a process of its own, from its folder (cwd = /var/task).
 * Asynchronously: the local S3 and SQS servers answer from this process's event loop.
 */
async function invoke(
  dir: string,
  handler: string,
  event: unknown,
  everything: Record<string, string>,
): Promise<unknown> {
  // Only what the program links reaches the function (as in AWS): a missing link fails here.
  const fn = FUNCTIONS.find((f) => f.handler === handler)!;
  const env = Object.fromEntries(
    Object.entries(everything).filter(([k]) => {
      const linked = /^SST_RESOURCE_(\w+)$/.exec(k)?.[1];
      return !linked || linked === 'App' || fn.links.includes(linked);
    }),
  );
  // Lambda's response-streaming runtime (the awslambda global) for the API's streaming handler.
  const runner = `
    const { Writable } = await import('node:stream');
    let streamed;
    globalThis.awslambda = {
      streamifyResponse: (fn) => async (event, context) => {
        const body = [];
        streamed = { statusCode: 200, body: '' };
        const stream = new Writable({ write(c, _e, done) { body.push(String(c)); done(); } });
        await fn(event, stream, context);
        streamed.body = body.join('');
        return streamed;
      },
      HttpResponseStream: { from: (stream, meta) => { streamed.statusCode = meta.statusCode; return stream; } },
    };
    const t0 = performance.now();
    const { handler } = await import(${JSON.stringify(join(dir, handler.replace(/\.ts$/, '.mjs')))});
    const t1 = performance.now();
    const r = await handler(JSON.parse(process.env.EVENT), { getRemainingTimeInMillis: () => 120000 });
    const t2 = performance.now();
    process.stdout.write('\\n@@TIMES ' + JSON.stringify({ initMs: t1 - t0, invokeMs: t2 - t1 }) + '\\n');
    process.stdout.write('\\n@@RESULT ' + JSON.stringify(r ?? null) + '\\n');
    process.exit(0);`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', runner], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env, EVENT: JSON.stringify(event) },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('@@RESULT '));
  if (!line) throw new Error(`${handler} printed no result:\n${stdout}`);
  const times = stdout.split('\n').find((l) => l.startsWith('@@TIMES '));
  if (times) timings.push({ handler, ...JSON.parse(times.slice('@@TIMES '.length)) });
  return JSON.parse(line.slice('@@RESULT '.length));
}

function linkEnv(c: AwsConfig, webhookQueue: string): Record<string, string> {
  const res = (type: string, v: Record<string, string>) => JSON.stringify({ ...v, type });
  return {
    SST_RESOURCE_Store: res('sst.aws.Bucket', { name: c.bucket }),
    SST_RESOURCE_State: res('sst.aws.Dynamo', { name: c.table }),
    SST_RESOURCE_BaseQueue: res('sst.aws.Queue', { url: c.queues.base }),
    SST_RESOURCE_RelayQueue: res('sst.aws.Queue', { url: c.queues.relay }),
    SST_RESOURCE_DecodeQueue: res('sst.aws.Queue', { url: c.queues.decode }),
    ...(c.lanes && {
      SST_RESOURCE_BaseBatchLane: res('sst.aws.Queue', { url: c.lanes.base! }),
      SST_RESOURCE_RelayBatchLane: res('sst.aws.Queue', { url: c.lanes.relay! }),
      SST_RESOURCE_DecodeBatchLane: res('sst.aws.Queue', { url: c.lanes.decode! }),
    }),
    SST_RESOURCE_WebhookQueue: res('sst.aws.Queue', { url: webhookQueue }),
    SST_RESOURCE_BatchQueue: res('sst.aws.Queue', { url: c.batchQueue! }),
    SST_RESOURCE_EventsQueue: res('sst.aws.Queue', { url: c.eventsQueue! }),
    SST_RESOURCE_IntakeQueue: res('sst.aws.Queue', { url: c.batchQueue! }),
    SST_RESOURCE_Events: res('sst.aws.Bus', {
      name: 'baton-check',
      arn: 'arn:aws:events:us-east-1:000000000000:event-bus/baton-check',
    }),
    SST_RESOURCE_App: JSON.stringify({ name: 'baton', stage: 'check' }),
    SST_RESOURCE_UrlSecret: res('sst.sst.Secret', { value: 'check-url-secret' }),
    BATON_S3_ENDPOINT: c.s3Endpoint!,
    BATON_SQS_ENDPOINT: c.sqsEndpoint!,
    BATON_DYNAMODB_ENDPOINT: c.dynamoEndpoint!,
    BATON_LOCAL_CREDENTIALS: c.credentials!.accessKeyId,
    AWS_REGION: c.region,
  };
}

const KEY = 'bk_check_aws_0123456789abcdef';

function functionUrlEvent(method: string, path: string, body?: unknown) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: 'abc.lambda-url.us-east-1.on.aws',
      'content-type': 'application/json',
      authorization: `Bearer ${KEY}`,
    },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc',
      domainName: 'abc.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abc',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'check-aws' },
      requestId: 'req',
      routeKey: '$default',
      stage: '$default',
      time: '01/Dec/2026:00:00:00 +0000',
      timeEpoch: Date.now(),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    isBase64Encoded: false,
  };
}

/** Runs a 64 px job through the packaged API and worker (the base's worker decodes too); returns the finished job. */
async function smoke(dirs: Record<string, string>, env: Record<string, string>, c: AwsConfig) {
  const api = async (method: string, path: string, body?: unknown) => {
    const r = (await invoke(
      dirs.api!,
      'functions/api/index.ts',
      functionUrlEvent(method, path, body),
      env,
    )) as {
      statusCode: number;
      body: string;
    };
    return { status: r.statusCode, body: JSON.parse(r.body) };
  };
  const created = await api('POST', '/v1/jobs', {
    prompt: 'red circle top left on white',
    seed: 1,
    size: '64x64',
  });
  if (created.status !== 202)
    throw new Error(`the packaged API answered ${created.status}: ${JSON.stringify(created.body)}`);
  const id = created.body.id as string;
  const stage: StageQueue = 'base';
  const queue = new SqsQueue(c, c.queues[stage]);
  const messages = await queue.receive(10, 2);
  const event = {
    Records: messages.map((m) => ({
      messageId: m.id,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt ?? Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${c.region}:000000000000:${stage}`,
      awsRegion: c.region,
    })),
  };
  if (!event.Records.length) throw new Error(`no ${stage} message arrived`);
  const worker = FUNCTIONS.find((f) => f.name === 'worker')!;
  const r = (await invoke(dirs.worker!, 'functions/worker/index.ts', event, {
    ...env,
    ...worker.args.environment,
    BATON_STAGE_QUEUE: stage,
  })) as { batchItemFailures: unknown[] };
  if (r.batchItemFailures.length)
    throw new Error(`the packaged ${stage} worker failed: ${JSON.stringify(r)}`);
  for (const m of messages) await queue.delete(m.receiptHandle);
  const job = await api('GET', `/v1/jobs/${id}`);
  if (job.body.status !== 'succeeded')
    throw new Error(`the job did not succeed: ${JSON.stringify(job.body)}`);
  const dead = await invoke(dirs['dead-letter']!, 'functions/dead-letter/index.ts', { Records: [] }, env);
  const swept = await invoke(dirs.sweep!, 'functions/sweep/index.ts', {}, env);
  // The pipeline functions load (manifest, links, the batch worker) and answer an empty batch.
  for (const name of ['batches', 'intake', 'events']) {
    const r = (await invoke(dirs[name]!, `functions/${name}/index.ts`, { Records: [] }, env)) as {
      batchItemFailures: unknown[];
    };
    if (!Array.isArray(r.batchItemFailures))
      throw new Error(`the packaged ${name} function answered ${JSON.stringify(r)}`);
  }
  return { job: job.body, dead, swept };
}

/** Each packaged handler's init (its module loaded, top-level awaits done) and first invocation, per run. */
const timings: { handler: string; initMs: number; invokeMs: number }[] = [];
const sizes: [string, number][] = [];
const dirs: Record<string, string> = {};
for (const fn of FUNCTIONS) {
  const { dir, bytes } = await packageFunction(fn);
  dirs[fn.name] = dir;
  sizes.push([fn.name, bytes / 1e6]);
  console.log(`${fn.name.padEnd(12)} ${(bytes / 1e6).toFixed(1).padStart(7)} MB unzipped`);
}
const tooBig = sizes.filter(([, mb]) => mb > LAMBDA_UNZIPPED_LIMIT_MB);
if (tooBig.length) {
  console.error(
    `over AWS Lambda's ${LAMBDA_UNZIPPED_LIMIT_MB} MB unzipped limit: ${tooBig.map(([n]) => n).join(', ')}`,
  );
  process.exit(1);
}
const aws = await startLocalAws({ dataDir: mkdtempSync(join(tmpdir(), 'baton-check-aws-')) });
try {
  await new KeyStore(connectJobs(aws.config).table).create('check', KEY);
  const r = await smoke(dirs, linkEnv(aws.config, aws.webhookQueueUrl), aws.config);
  console.log(
    `a 64 px job ran through the packaged API and worker: ${r.job.status}, stages ${Object.keys(r.job.timings_ms).join(' → ')}`,
  );
} finally {
  await aws.close();
}
for (const name of ['functions/api/index.ts', 'functions/worker/index.ts']) {
  const runs = timings.filter((t) => t.handler === name);
  const worst = (k: 'initMs' | 'invokeMs') => Math.max(...runs.map((t) => t[k])).toFixed(0);
  console.log(
    `${name}: init (module load, top-level awaits) up to ${worst('initMs')} ms, an invocation up to ${worst('invokeMs')} ms (${runs.length} cold processes)`,
  );
}
const largest = Math.max(...sizes.map(([, mb]) => mb));
console.log(`${sizes.length} functions packaged, largest ${largest.toFixed(1)} MB unzipped`);
