/**
 * What the batch pipeline runs on: the job lifecycle, the batch and file records, the batch
 * queue, events. Built once at an entry point (batchContext) and passed down; the HTTP API
 * builds the same one for its batch and file routes.
 */
import { DEFAULTS, DEPLOYMENT_DEFAULTS } from '@baton/config';
import type { EmitEvent, Enqueue, JobStore } from '@baton/jobs';
import type { Manifest } from '@baton/runtime/manifest';
import type { JobMaker, KeyStore, LinkSigner, Planner, PromptExpander, RequestSchemas } from '@baton/service';
import { FileStore } from './files.ts';
import { BatchStore } from './store.ts';

/** The batch queue's message: look at this batch. */
export interface BatchMessage {
  v: 1;
  batchId: string;
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

/** The configuration's defaults (BATON_FILE_MAX_BYTES, BATON_BATCH_MAX_BYTES, BATON_BATCH_MAX_LINES). */
export const BATCH_LIMITS: BatchLimits = {
  maxUploadBytes: DEFAULTS.BATON_FILE_MAX_BYTES,
  maxBytes: DEFAULTS.BATON_BATCH_MAX_BYTES,
  maxLines: DEFAULTS.BATON_BATCH_MAX_LINES,
};

export interface BatchContext extends Planner, JobMaker {
  /** A batch line is checked as the API checks a request body. */
  schemas: Pick<RequestSchemas, 'images'>;
  batches: BatchStore;
  files: FileStore;
  /** Signed links to images (event details). */
  links: LinkSigner;
  /** With keys, an inbox prefix must name an active key. */
  keys: KeyStore | undefined;
  limits: BatchLimits;
  /** The next look at a batch, after `delaySeconds` (absent: this deployment has no batch queue). */
  enqueueBatch: ((m: BatchMessage, delaySeconds: number) => Promise<void>) | undefined;
  /** Announces a state change on the events queue (a no-op without one). */
  emit: EmitEvent;
  /** Lines in flight per batch (jobs made and not yet ended). */
  inFlight: number;
  /** Seconds between looks at a batch whose lines are running. */
  pollSeconds: number;
  /** Links to images for the S3 outbox (the API's own signed links: `outboxLinks`); none without. */
  outboxUrl: ((jobId: string) => Promise<string>) | undefined;
  /** Bytes per ranged read of an input (more than the longest line allowed). */
  chunkBytes: number;
}

export interface BatchSetup {
  jobs: JobStore;
  enqueue: Enqueue;
  manifest: Manifest;
  expander: PromptExpander;
  schemas: Pick<RequestSchemas, 'images'>;
  links: LinkSigner;
  keys?: KeyStore | undefined;
  enqueueBatch?: BatchContext['enqueueBatch'];
  events?: EmitEvent | undefined;
  limits?: Partial<BatchLimits>;
  inFlight?: number;
  pollSeconds?: number;
  outboxUrl?: BatchContext['outboxUrl'];
  chunkBytes?: number;
  now?: () => number;
}

export function batchContext(s: BatchSetup): BatchContext {
  const now = s.now ?? Date.now;
  return {
    jobs: s.jobs,
    enqueue: s.enqueue,
    manifest: s.manifest,
    expander: s.expander,
    schemas: s.schemas,
    links: s.links,
    keys: s.keys,
    batches: new BatchStore(s.jobs.table, now),
    files: new FileStore(s.jobs.store, s.jobs.table, now),
    limits: { ...BATCH_LIMITS, ...s.limits },
    enqueueBatch: s.enqueueBatch,
    emit: s.events ?? (async () => {}),
    inFlight: s.inFlight ?? DEFAULTS.BATON_BATCH_IN_FLIGHT,
    pollSeconds: s.pollSeconds ?? DEPLOYMENT_DEFAULTS.local.BATON_BATCH_POLL_SECONDS,
    outboxUrl: s.outboxUrl,
    chunkBytes: s.chunkBytes ?? 2 * 1024 * 1024,
    now,
  };
}
