/**
 * The local stack: S3 and SQS servers, the stage workers as child processes, the API,
 * the sweep and the dead-letter monitor, all through the same adapters as in AWS.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, type LimitsConfig } from '@baton/api';
import { type AwsConfig, configToEnv, SqsQueue, STAGE_QUEUES } from '@baton/aws';
import { type BatchContext, batchContext, CLAIM_STALE_MS, sweepBatches } from '@baton/batches';
import { config, forDeployment } from '@baton/config';
import { modelSettings } from '@baton/domains/cascade';
import {
  type EmitEvent,
  type Enqueue,
  type EventMessage,
  type JobStore,
  parseAllowList,
  sweepEvents,
} from '@baton/jobs';
import { loadManifest, type Manifest } from '@baton/runtime';
import {
  DuplicateKeyNameError,
  expanderFor,
  KeyStore,
  LINK_TTL_SECONDS,
  LinkSigner,
  outboxLinks,
  type PromptExpander,
  requestSchemas,
} from '@baton/service';
import { connectWorker, jsonLogger, type Logger } from '@baton/worker';
import { serve } from '@hono/node-server';
import { startConsumers } from './consumers.ts';
import { startLocalAws } from './local-aws.ts';
import type { RequestCounter } from './request-counter.ts';
import { WorkerPool } from './worker-pool.ts';

/** The process's configuration, with the local stack's defaults where a variable is unset. */
const settings = () => forDeployment(config(), 'local');

export interface StackOptions {
  dataDir: string;
  apiPort?: number;
  s3Port?: number;
  sqsPort?: number;
  dynamoPort?: number;
  /** Start the stage workers (tests may start their own). */
  workers?: boolean;
  /** Sweep period and the inactivity after which a stage is re-enqueued (ms). */
  sweepEveryMs?: number;
  staleAfterMs?: number;
  maxReceiveCount?: number;
  visibilityTimeoutSeconds?: number;
  syncWaitMs?: number;
  /** Event streams end (to be resumed) this long after they open (BATON_STREAM_MAX_SECONDS). */
  streamMaxSeconds?: number;
  /** Require API keys (default true). `apiKey` is registered as a key named "local". */
  auth?: boolean;
  apiKey?: string;
  limits?: Partial<LimitsConfig>;
  /** Webhook receivers admitted although private or loopback (host or host:port); none by default. */
  webhookAllowedHosts?: string[];
  /** Delays before each webhook retry (ms; default 1, 2, 4, 8 s). */
  webhookBackoffMs?: number[];
  /** Signs image links (BATON_URL_SECRET, or npm start's kept one; random per process without either). */
  urlSecret?: string;
  /** How long the API trusts a verified key before reading it again (ms; default 10 s). */
  keyCacheMs?: number;
  /** Where job and batch events go (default: events.ndjson beside dataDir, i.e. .baton/events.ndjson). */
  eventsFile?: string;
  /** Worker processes' JSON logs: to this process's stdout (default), or dropped. */
  workerLogs?: 'inherit' | 'ignore' | number;
  /** Extra environment for worker processes. */
  workerEnv?: Record<string, string>;
  log?: Logger;
}

export interface Stack {
  apiUrl: string;
  /** The key this start registered or created (undefined when one already existed). */
  apiKey: string | undefined;
  keys: KeyStore;
  /** The job model on the stack's table and bucket. */
  jobs: JobStore;
  config: AwsConfig;
  workers: Map<string, ChildProcess>;
  /** Every request the local S3, SQS and DynamoDB servers answered (what `npm run bench` prices). */
  requests: RequestCounter;
  sweep(staleMs?: number): Promise<{ requeued: string[] }>;
  /**
   * Stops everything. Workers get SIGTERM (finish or give back the batch in hand), or with
   * `kill` SIGKILL, as a crash or a pulled plug would: what is left is for the next start.
   */
  close(o?: { kill?: boolean }): Promise<void>;
}

const WORKER_ENTRY = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export async function startStack(o: StackOptions): Promise<Stack> {
  const log = o.log ?? jsonLogger({ service: 'stack' });
  // The configuration's values unless a caller (a test) says otherwise.
  o = {
    ...o,
    maxReceiveCount: o.maxReceiveCount ?? settings().BATON_MAX_RECEIVE_COUNT,
    visibilityTimeoutSeconds: o.visibilityTimeoutSeconds ?? settings().BATON_VISIBILITY_SECONDS,
  };
  const aws = await startLocalAws({
    dataDir: o.dataDir,
    ...(o.s3Port !== undefined && { s3Port: o.s3Port }),
    ...(o.sqsPort !== undefined && { sqsPort: o.sqsPort }),
    ...(o.dynamoPort !== undefined && { dynamoPort: o.dynamoPort }),
    maxReceiveCount: o.maxReceiveCount,
    visibilityTimeoutSeconds: o.visibilityTimeoutSeconds,
  });
  // Webhooks are delivered from their queue, locally as in AWS: stage workers only enqueue them.
  const config: AwsConfig = { ...aws.config, webhookQueue: aws.webhookQueueUrl };
  const allowed = o.webhookAllowedHosts ?? [];
  // The stack's sender makes the deliveries (the workers only enqueue): locally, retries come back within seconds.
  const { jobs, enqueue, webhooks, events } = connectWorker(config, {
    webhookAllowedHosts: allowed,
    webhookBackoffMs: o.webhookBackoffMs ?? [1000, 2000, 4000, 8000],
  });
  const manifest = await loadManifest(modelSettings(settings()).dir);
  const keyStore = new KeyStore(jobs.table, o.keyCacheMs);
  const apiKey = (o.auth ?? true) ? await localKey(keyStore, o.apiKey) : o.apiKey;
  const expander = expanderFor(manifest.prompt_expander, settings());
  const deps = apiDeps(o, { jobs, enqueue, manifest, keyStore, allowed, events, expander });
  let apiUrl = '';
  const batching = localBatching(config, deps, () => apiUrl);
  // Batches, events, webhooks, dead letters and the S3 inbox: the consumers AWS runs as Lambdas, here in this process.
  const consumers = startConsumers({
    config,
    batching,
    jobs,
    webhooks,
    maxReceiveCount: o.maxReceiveCount ?? 3,
    eventsFile: o.eventsFile ?? join(dirname(o.dataDir), 'events.ndjson'),
    origin: () => apiUrl,
    log,
  });
  // The server below listens on loopback only: the page may carry the stack's own key.
  // Load shedding reads the base queue's backlog (interactive work: batch lines have their lane).
  const baseQueue = new SqsQueue(config, config.queues.base);
  const app = createApp({
    ...deps,
    batching,
    backlog: () => baseQueue.depth(),
    ...(apiKey && { playgroundKey: apiKey }),
  });
  const server = await serveApi(app.fetch, o.apiPort ?? 0);
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const pool = await startWorkers(o, config, allowed, log);

  // Jobs whose messages were lost (a restart: the local SQS keeps nothing) go back on their queues.
  const eventsQueue = new SqsQueue(config, config.eventsQueue!);
  const sendEvent = async (m: EventMessage) => void (await eventsQueue.send(m));
  const { sweep, sweeper } = await startSweeping(jobs, enqueue, batching, sendEvent, o, log);

  return {
    apiUrl,
    apiKey,
    keys: keyStore,
    jobs,
    config,
    workers: pool.workers,
    requests: aws.requests,
    sweep,
    close: async ({ kill = false } = {}) => {
      clearInterval(sweeper);
      await Promise.all([pool.stop(kill), consumers.stop()]);
      await new Promise<void>((r) => server.close(() => r()));
      await aws.close();
    },
  };
}

/** What the API and the pipeline consumers share: the job model, the manifest, limits, one link secret. */
function apiDeps(
  o: StackOptions,
  x: {
    jobs: JobStore;
    enqueue: Enqueue;
    manifest: Manifest;
    keyStore: KeyStore;
    allowed: string[];
    events: EmitEvent | undefined;
    expander: PromptExpander;
  },
) {
  const { jobs, enqueue, manifest, keyStore, allowed, events, expander } = x;
  return {
    jobs,
    enqueue,
    manifest,
    ...((o.auth ?? true) && { keys: keyStore }),
    // The configuration's limits (BATON_RATE_PER_MINUTE, BATON_MAX_CONCURRENT_JOBS), as in AWS.
    limits: {
      ratePerMinute: settings().BATON_RATE_PER_MINUTE,
      maxConcurrentJobs: settings().BATON_MAX_CONCURRENT_JOBS,
      maxBacklog: settings().BATON_MAX_BACKLOG,
      ...o.limits,
    },
    expander,
    // One link secret for the API and the pipeline consumers: links in events and batch outputs work.
    config: {
      syncWaitMs: o.syncWaitMs ?? settings().BATON_SYNC_WAIT_MS,
      streamMaxSeconds: o.streamMaxSeconds ?? settings().BATON_STREAM_MAX_SECONDS,
      urlSecret: o.urlSecret ?? settings().BATON_URL_SECRET ?? randomUUID(),
    },
    webhookAllowedHosts: allowed,
    batchLimits: {
      maxUploadBytes: settings().BATON_FILE_MAX_BYTES,
      maxLines: settings().BATON_BATCH_MAX_LINES,
      maxBytes: settings().BATON_BATCH_MAX_BYTES,
    },
    ...(events && { events }),
  };
}

/** The batch side, shared by the API's routes and the batch consumers: one link secret, one batch queue. */
function localBatching(
  config: AwsConfig,
  deps: ReturnType<typeof apiDeps>,
  origin: () => string,
): BatchContext {
  const batchQueue = new SqsQueue(config, config.batchQueue!);
  return batchContext({
    ...deps,
    keys: deps.keys,
    schemas: requestSchemas(deps.manifest, parseAllowList(deps.webhookAllowedHosts)),
    links: new LinkSigner(deps.config.urlSecret, LINK_TTL_SECONDS, Date.now),
    limits: deps.batchLimits,
    enqueueBatch: async (m, delaySeconds) => void (await batchQueue.send(m, delaySeconds)),
    inFlight: settings().BATON_BATCH_IN_FLIGHT,
    pollSeconds: settings().BATON_BATCH_POLL_SECONDS,
    // Outbox results link images through this API, signed with its secret, for 7 days.
    outboxUrl: outboxLinks(deps.config.urlSecret, origin),
  });
}

/** Workers: one child process per stage queue, restarted if one dies. */
async function startWorkers(o: StackOptions, config: AwsConfig, allowed: string[], log: Logger) {
  const pool = new WorkerPool(
    WORKER_ENTRY,
    {
      ...process.env,
      ...configToEnv(config),
      BATON_VISIBILITY_SECONDS: String(o.visibilityTimeoutSeconds ?? 30),
      // Three worker processes share this machine's cores: one ONNX thread each unless told otherwise.
      BATON_ORT_THREADS: process.env.BATON_ORT_THREADS ?? '1',
      BATON_WEBHOOK_ALLOWED_HOSTS: allowed.join(','),
      ...o.workerEnv,
    },
    o.workerLogs ?? 'inherit',
    log,
  );
  if (o.workers ?? true) await Promise.all(STAGE_QUEUES.map((q) => pool.spawn(q)));
  return pool;
}

/** The key this start registers (the one given), or creates when no usable key exists. */
async function localKey(keys: KeyStore, given: string | undefined): Promise<string | undefined> {
  if (given) {
    // A new BATON_API_KEY while an older "local" key is active: register it beside, under its own name.
    await keys
      .create('local', given)
      .catch((e) =>
        e instanceof DuplicateKeyNameError ? keys.create(`local-${Date.now()}`, given) : Promise.reject(e),
      );
    return given;
  }
  if ((await keys.list()).every((k) => k.revokedAt)) return (await keys.create('local')).key;
  return undefined;
}

/**
 * The API on a Node server. A request Node refuses before the app sees it (headers over
 * Node's limit: a 20 KB URL) still gets an answer in OpenAI's error shape, not an empty 431.
 */
async function serveApi(fetch: (r: Request) => Response | Promise<Response>, port: number) {
  const server = serve({ fetch, port, hostname: '127.0.0.1' });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify({
      error: {
        message: tooLarge ? 'the request line and headers are over 16 KB' : 'the request is not valid HTTP',
        type: 'invalid_request_error',
        param: null,
        code: tooLarge ? 'request_header_fields_too_large' : 'bad_request',
      },
    });
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(
      `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject); // EADDRINUSE: the caller says which port and which variable
  });
  return server;
}

/** Sweeps once now (a restart lost the queues), then every `sweepEveryMs`. */
async function startSweeping(
  jobs: JobStore,
  enqueue: Enqueue,
  batching: BatchContext,
  sendEvent: (m: EventMessage) => Promise<void>,
  o: StackOptions,
  log: Logger,
) {
  const sweep = async (staleMs = o.staleAfterMs ?? 60_000) => {
    const r = await jobs.sweep(enqueue, staleMs);
    // Batches too: a look lost with the queues (a restart) or to a dead letter is made again.
    const batches = await sweepBatches(batching, staleMs);
    // And every state change not yet published (its message lost with the queues) is sent again.
    const events = await sweepEvents(jobs.table, sendEvent, {
      staleMs: Math.min(staleMs, 30_000),
      claimStaleMs: CLAIM_STALE_MS,
    });
    if (r.requeued.length || batches.length || events)
      log('stack.sweep', { requeued: r.requeued, batches, events });
    return r;
  };
  await sweep(0);
  const sweeper = setInterval(
    () => void sweep().catch((e) => log('stack.sweep_error', { error: String(e) })),
    o.sweepEveryMs ?? 15_000,
  );
  return { sweep, sweeper };
}
