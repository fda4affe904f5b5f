/** What the pipeline functions share: the job model, the manifest, and the batch worker (SQS → S3/SQS). */
import { batchWorker, expanderFor, KeyStore } from '@baton/api';
import { SqsQueue } from '@baton/aws';
import { config } from '@baton/config';
import { connectJobs, keys } from '@baton/jobs';
import { loadManifest } from '@baton/runtime/manifest';
import { Resource } from 'sst';
import { awsConfig } from './resources.ts';

/** SQS delays a message at most 15 minutes. */
const MAX_DELAY_SECONDS = 900;

export async function pipelineWorker() {
  const c = config();
  const aws = awsConfig();
  const { jobs, enqueue, store, table, events } = connectJobs(aws);
  const manifest = await loadManifest(c.BATON_MODEL_DIR ?? 'models/shapes-v1');
  const batchQueue = new SqsQueue(aws, aws.batchQueue!);
  const keyStore = new KeyStore(table);
  const worker = batchWorker({
    jobs,
    enqueue,
    manifest,
    keys: keyStore,
    expander: expanderFor(manifest.prompt_expander),
    config: { urlSecret: Resource.UrlSecret.value },
    batchLimits: { maxLines: c.BATON_BATCH_MAX_LINES, maxBytes: c.BATON_BATCH_MAX_BYTES },
    ...(events && { events }),
    enqueueBatch: async (m, delaySeconds) => {
      await batchQueue.send(m, Math.min(MAX_DELAY_SECONDS, delaySeconds));
    },
    inFlight: c.BATON_BATCH_IN_FLIGHT,
    pollSeconds: c.BATON_BATCH_POLL_SECONDS ?? 10,
    // Outbox results link their images by presigned S3 URLs (7 days, S3's longest).
    outboxUrl: (jobId) => store.signedUrl(keys.output(jobId, 'decode'), 7 * 24 * 3600),
  });
  return { worker, keys: keyStore };
}
