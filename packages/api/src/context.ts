/** What every route and middleware of the API shares: its dependencies and settings, resolved once. */
import { randomUUID } from 'node:crypto';
import {
  type BatchContext,
  type BatchLimits,
  type BatchMessage,
  type BatchStore,
  batchContext,
  type FileStore,
} from '@baton/batches';
import { DEFAULTS, DEPLOYMENT_DEFAULTS } from '@baton/config';
import { domainFor } from '@baton/domains';
import { type EmitEvent, EndForecast, type Enqueue, type JobStore, parseAllowList } from '@baton/jobs';
import type { Domain } from '@baton/pipeline/domain';
import type { Manifest } from '@baton/runtime/manifest';
import {
  type KeyRecord,
  type KeyStore,
  LINK_TTL_SECONDS,
  LinkSigner,
  type PromptExpander,
  type RequestSchemas,
  requestSchemas,
} from '@baton/service';
import { type LimitsConfig, RateLimiter } from './limits.ts';

export interface ApiConfig {
  /** How long POST /v1/images/generations waits before answering 202 (ms). */
  syncWaitMs: number;
  /** Lifetime of signed image URLs (s). */
  urlTtlSeconds: number;
  /** Secret for signing image URLs. */
  urlSecret: string;
  /** Poll interval while waiting or streaming events (ms). */
  pollMs: number;
  /** How long a request replaying an Idempotency-Key waits for the job its first request is creating (ms). */
  idempotencyWaitMs: number;
  /** A quiet event stream gets a comment this often (ms): well inside a proxy's read timeout. */
  sseKeepAliveMs: number;
  /** An event stream ends cleanly this long after it opened (s): before its function's deadline. */
  streamMaxSeconds: number;
}

export interface ApiDeps {
  jobs: JobStore;
  /** When given, every /v1 route needs `Authorization: Bearer <key>`, and keys see only their own jobs. */
  keys?: KeyStore;
  limits?: Partial<LimitsConfig>;
  enqueue: Enqueue;
  manifest: Manifest;
  expander: PromptExpander;
  config?: Partial<ApiConfig>;
  /** The local stack's own key, filled into the playground (never set where the API is public). */
  playgroundKey?: string;
  /** Webhook hosts admitted although private (BATON_WEBHOOK_ALLOWED_HOSTS); none by default. */
  webhookAllowedHosts?: readonly string[];
  /** The batch side, when the caller shares one with the batch consumers (the local stack). */
  batching?: BatchContext;
  /** The batch queue: a batch's next step after `delaySeconds` (absent: no Batch API). */
  enqueueBatch?: (m: BatchMessage, delaySeconds: number) => Promise<void>;
  batchLimits?: Partial<BatchLimits>;
  /** The events queue: job and batch state changes (absent: no events). */
  events?: EmitEvent;
  /** Messages waiting on the first stage's queue (absent: no load shedding). */
  backlog?: () => Promise<number>;
  now?: () => number;
}

/** The resolved dependencies: what route modules receive. */
export interface Api {
  jobs: JobStore;
  keys: KeyStore | undefined;
  enqueue: Enqueue;
  manifest: Manifest;
  /** The manifest's domain (the registry's): its vocabulary is what the playground and /v1/models show. */
  domain: Domain;
  expander: PromptExpander;
  config: ApiConfig;
  limits: LimitsConfig;
  limiter: RateLimiter;
  links: LinkSigner;
  schemas: RequestSchemas;
  /** The Batch API's side (@baton/batches): the routes record batches and files through it. */
  batching: BatchContext;
  files: FileStore;
  batches: BatchStore;
  /** Announces a state change on the events queue (a no-op without one). */
  emit: EmitEvent;
  backlog: (() => Promise<number>) | undefined;
  /** When jobs of a kind end, learned from those this instance saw end: when its waiters look. */
  forecast: EndForecast;
  now: () => number;
}

/** Hono's variables: the caller's key (null without auth). */
export type Env = { Variables: { key: KeyRecord | null } };

export function resolveApi(deps: ApiDeps): Api {
  const now = deps.now ?? Date.now;
  const config: ApiConfig = {
    syncWaitMs: DEPLOYMENT_DEFAULTS.local.BATON_SYNC_WAIT_MS,
    urlTtlSeconds: LINK_TTL_SECONDS,
    urlSecret: randomUUID(),
    pollMs: 200,
    idempotencyWaitMs: 5_000,
    sseKeepAliveMs: 15_000,
    streamMaxSeconds: DEPLOYMENT_DEFAULTS.local.BATON_STREAM_MAX_SECONDS,
    ...deps.config,
  };
  const limits: LimitsConfig = {
    ratePerMinute: DEFAULTS.BATON_RATE_PER_MINUTE,
    burst: 20,
    maxConcurrentJobs: DEFAULTS.BATON_MAX_CONCURRENT_JOBS,
    maxBacklog: DEFAULTS.BATON_MAX_BACKLOG,
    ...deps.limits,
  };
  const links = new LinkSigner(config.urlSecret, config.urlTtlSeconds, now);
  const schemas = requestSchemas(deps.manifest, parseAllowList(deps.webhookAllowedHosts));
  const emit = deps.events ?? (async () => {});
  const batching =
    deps.batching ??
    batchContext({
      jobs: deps.jobs,
      enqueue: deps.enqueue,
      manifest: deps.manifest,
      expander: deps.expander,
      schemas,
      links,
      keys: deps.keys,
      enqueueBatch: deps.enqueueBatch,
      events: emit,
      ...(deps.batchLimits && { limits: deps.batchLimits }),
      now,
    });
  return {
    jobs: deps.jobs,
    keys: deps.keys,
    enqueue: deps.enqueue,
    manifest: deps.manifest,
    domain: domainFor(deps.manifest.prompt_expander),
    expander: deps.expander,
    config,
    limits,
    limiter: new RateLimiter(limits, now),
    links,
    schemas,
    batching,
    files: batching.files,
    batches: batching.batches,
    emit,
    backlog: deps.backlog,
    forecast: new EndForecast(),
    now,
  };
}
