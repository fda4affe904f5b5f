/** What every route and middleware of the API shares: its dependencies and settings, resolved once. */
import { randomUUID } from 'node:crypto';
import { type EmitEvent, type Enqueue, type JobStore, parseAllowList } from '@baton/jobs';
import type { Manifest } from '@baton/runtime/manifest';
import type { BatchMessage } from './batches/fanout.ts';
import { FileStore } from './batches/files.ts';
import { BatchStore } from './batches/store.ts';
import type { PromptExpander } from './expanders.ts';
import type { KeyRecord, KeyStore } from './keys.ts';
import { type LimitsConfig, RateLimiter } from './limits.ts';
import { LinkSigner } from './links.ts';
import { type RequestSchemas, requestSchemas } from './schemas.ts';

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
}

/** What a batch input may be. */
export interface BatchLimits {
  /** Largest upload through POST /v1/files (bytes). */
  maxUploadBytes: number;
  /** Largest batch input file, through the API or the S3 inbox (bytes). */
  maxBytes: number;
  /** Most request lines in one batch. */
  maxLines: number;
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
  /** The batch queue: a batch's next step after `delaySeconds` (absent: no Batch API). */
  enqueueBatch?: (m: BatchMessage, delaySeconds: number) => Promise<void>;
  batchLimits?: Partial<BatchLimits>;
  /** The events queue: job and batch state changes (absent: no events). */
  events?: EmitEvent;
  now?: () => number;
}

/** The resolved dependencies: what route modules receive. */
export interface Api {
  jobs: JobStore;
  keys: KeyStore | undefined;
  enqueue: Enqueue;
  manifest: Manifest;
  expander: PromptExpander;
  config: ApiConfig;
  limits: LimitsConfig;
  limiter: RateLimiter;
  links: LinkSigner;
  schemas: RequestSchemas;
  files: FileStore;
  batches: BatchStore;
  enqueueBatch: ((m: BatchMessage, delaySeconds: number) => Promise<void>) | undefined;
  batchLimits: BatchLimits;
  /** Announces a state change on the events queue (a no-op without one). */
  emit: EmitEvent;
  now: () => number;
}

/** Hono's variables: the caller's key (null without auth). */
export type Env = { Variables: { key: KeyRecord | null } };

export function resolveApi(deps: ApiDeps): Api {
  const now = deps.now ?? Date.now;
  const config: ApiConfig = {
    syncWaitMs: 60_000,
    urlTtlSeconds: 3600,
    urlSecret: randomUUID(),
    pollMs: 200,
    idempotencyWaitMs: 5_000,
    sseKeepAliveMs: 15_000,
    ...deps.config,
  };
  const limits: LimitsConfig = { ratePerMinute: 120, burst: 20, maxConcurrentJobs: 16, ...deps.limits };
  return {
    jobs: deps.jobs,
    keys: deps.keys,
    enqueue: deps.enqueue,
    manifest: deps.manifest,
    expander: deps.expander,
    config,
    limits,
    limiter: new RateLimiter(limits, now),
    links: new LinkSigner(config.urlSecret, config.urlTtlSeconds, now),
    schemas: requestSchemas(deps.manifest, parseAllowList(deps.webhookAllowedHosts)),
    files: new FileStore(deps.jobs.store, deps.jobs.table, now),
    batches: new BatchStore(deps.jobs.table, now),
    enqueueBatch: deps.enqueueBatch,
    batchLimits: { maxUploadBytes: 5_000_000, maxBytes: 200_000_000, maxLines: 50_000, ...deps.batchLimits },
    emit: deps.events ?? (async () => {}),
    now,
  };
}
