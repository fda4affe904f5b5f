/** Lambda (function URL) entry of the edge API: the same Hono app the local stack serves. */
import { createApp, expanderFor, KeyStore } from '@baton/api';
import { config } from '@baton/config';
import { connectJobs } from '@baton/jobs';
import { loadManifest } from '@baton/runtime/manifest';
import { handle } from 'hono/aws-lambda';
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
  config: {
    syncWaitMs: c.BATON_SYNC_WAIT_MS ?? 25_000,
    ...(c.BATON_URL_SECRET && { urlSecret: c.BATON_URL_SECRET }),
  },
});

export const handler = handle(app);
