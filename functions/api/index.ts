/** Lambda (function URL) entry of the edge API: the same Hono app the local stack serves. */
import { createApp, expanderFor, KeyStore } from '@baton/api';
import { config } from '@baton/config';
import { connectJobs } from '@baton/jobs';
import { loadManifest } from '@baton/runtime/manifest';
import { streamHandle } from 'hono/aws-lambda';
import { Resource } from 'sst';
import { awsConfig } from '../resources.ts';

const { jobs, enqueue, store } = connectJobs(awsConfig());
const c = config();
const manifest = await loadManifest(c.BATON_MODEL_DIR ?? 'models/shapes-v1');

export const app = createApp({
  jobs,
  enqueue,
  manifest,
  keys: new KeyStore(store),
  limits: {
    ratePerMinute: c.BATON_RATE_PER_MINUTE,
    maxConcurrentJobs: c.BATON_MAX_CONCURRENT_JOBS,
  },
  expander: expanderFor(manifest.prompt_expander),
  ...(c.BATON_WEBHOOK_ALLOWED_HOSTS && { webhookAllowedHosts: c.BATON_WEBHOOK_ALLOWED_HOSTS }),
  config: {
    syncWaitMs: c.BATON_SYNC_WAIT_MS ?? 25_000,
    // One secret for every instance (an sst.Secret): a link signed by one verifies on all.
    urlSecret: Resource.UrlSecret.value,
  },
});

/** Lambda response streaming: server-sent events reach the client as they are written. */
export const handler = streamHandle(app);
