/** Lambda (function URL) entry of the edge API: the same Hono app the local stack serves. */
import { createApp } from '@baton/api';
import { SqsQueue } from '@baton/aws';
import { config, forDeployment } from '@baton/config';
import { connectJobs } from '@baton/jobs';
import { loadManifest } from '@baton/runtime/manifest';
import { expanderFor, KeyStore } from '@baton/service';
import { streamHandle } from 'hono/aws-lambda';
import { Resource } from 'sst';
import { awsConfig } from '../resources.ts';

const aws = awsConfig();
const c = forDeployment(config(), 'lambda');
const { jobs, enqueue, table, events } = connectJobs(aws);
const batchQueue = new SqsQueue(aws, aws.batchQueue!);
const baseQueue = new SqsQueue(aws, aws.queues.base);
const manifest = await loadManifest(c.BATON_MODEL_DIR ?? 'models/shapes-v1');

export const app = createApp({
  jobs,
  enqueue,
  manifest,
  keys: new KeyStore(table),
  limits: {
    ratePerMinute: c.BATON_RATE_PER_MINUTE,
    maxConcurrentJobs: c.BATON_MAX_CONCURRENT_JOBS,
    maxBacklog: c.BATON_MAX_BACKLOG,
  },
  expander: expanderFor(manifest.prompt_expander, c),
  // The Batch API records a batch and hands it to the batch queue's worker; events go to theirs.
  enqueueBatch: async (m, delaySeconds) => {
    await batchQueue.send(m, delaySeconds);
  },
  batchLimits: {
    maxUploadBytes: c.BATON_FILE_MAX_BYTES,
    maxLines: c.BATON_BATCH_MAX_LINES,
    maxBytes: c.BATON_BATCH_MAX_BYTES,
  },
  ...(events && { events }),
  // Load shedding reads the base queue's backlog (batch lines have their own lane).
  backlog: () => baseQueue.depth(),
  ...(c.BATON_WEBHOOK_ALLOWED_HOSTS && { webhookAllowedHosts: c.BATON_WEBHOOK_ALLOWED_HOSTS }),
  config: {
    syncWaitMs: c.BATON_SYNC_WAIT_MS,
    streamMaxSeconds: c.BATON_STREAM_MAX_SECONDS,
    // One secret for every instance (an sst.Secret): a link signed by one verifies on all.
    urlSecret: Resource.UrlSecret.value,
  },
});

/** Lambda response streaming: server-sent events reach the client as they are written. */
export const handler = streamHandle(app);
