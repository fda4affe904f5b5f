/** Lambda (function URL) entry of the edge API: the same Hono app the local stack serves. */
import { createApp, expanderFor, KeyStore } from '@baton/api';
import { wire } from '@baton/jobs';
import { loadManifest } from '@baton/runtime/manifest';
import { handle } from 'hono/aws-lambda';
import { awsConfig } from '../resources.ts';

const { jobs, enqueue, store } = wire(awsConfig());
const manifest = await loadManifest(process.env.BATON_MODEL_DIR ?? 'models/shapes-v1');

export const app = createApp({
  jobs,
  enqueue,
  manifest,
  keys: new KeyStore(store),
  limits: {
    ratePerMinute: Number(process.env.BATON_RATE_PER_MINUTE ?? 120),
    maxConcurrentJobs: Number(process.env.BATON_MAX_CONCURRENT_JOBS ?? 16),
  },
  expander: expanderFor(manifest.prompt_expander),
  config: {
    syncWaitMs: Number(process.env.BATON_SYNC_WAIT_MS ?? 25_000),
    ...(process.env.BATON_URL_SECRET && { urlSecret: process.env.BATON_URL_SECRET }),
  },
});

export const handler = handle(app);
