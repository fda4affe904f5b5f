/** What the batch pipeline's functions share: the batch context, built once per process from the links. */

import { SqsQueue } from '@baton/aws';
import { batchContext } from '@baton/batches';
import { config, forDeployment } from '@baton/config';
import { connectJobs, parseAllowList } from '@baton/jobs';
import { loadManifest } from '@baton/runtime/manifest';
import {
  expanderFor,
  KeyStore,
  LINK_TTL_SECONDS,
  LinkSigner,
  outboxLinks,
  requestSchemas,
} from '@baton/service';
import { Resource } from 'sst';
import { awsConfig } from './resources.ts';

/** SQS delays a message at most 15 minutes. */
const MAX_DELAY_SECONDS = 900;

export async function batchSide() {
  const c = forDeployment(config(), 'lambda');
  const aws = awsConfig(c);
  const { jobs, enqueue, table, events } = connectJobs(aws);
  const manifest = await loadManifest(c.BATON_MODEL_DIR ?? 'models/shapes-v1');
  const batchQueue = new SqsQueue(aws, aws.batchQueue!);
  return batchContext({
    jobs,
    enqueue,
    manifest,
    keys: new KeyStore(table),
    expander: expanderFor(manifest.prompt_expander, c),
    schemas: requestSchemas(manifest, parseAllowList(c.BATON_WEBHOOK_ALLOWED_HOSTS)),
    links: new LinkSigner(Resource.UrlSecret.value, LINK_TTL_SECONDS, Date.now),
    limits: { maxLines: c.BATON_BATCH_MAX_LINES, maxBytes: c.BATON_BATCH_MAX_BYTES },
    events,
    enqueueBatch: async (m, delaySeconds) => {
      await batchQueue.send(m, Math.min(MAX_DELAY_SECONDS, delaySeconds));
    },
    inFlight: c.BATON_BATCH_IN_FLIGHT,
    pollSeconds: c.BATON_BATCH_POLL_SECONDS,
    // Outbox results link their images through the public API, signed with its secret (7 days):
    // a presigned S3 URL would die with the Lambda role's temporary credentials, in hours.
    ...(c.BATON_PUBLIC_URL && {
      outboxUrl: outboxLinks(Resource.UrlSecret.value, () => c.BATON_PUBLIC_URL!),
    }),
  });
}
