/**
 * State in one DynamoDB table, bytes in one bucket. The table (on-demand) holds jobs, quotas,
 * idempotency keys, usage, API keys and batches, each item expiring by its `expiresAt` (TTL);
 * its shape is the code's (TABLE_DEFINITION in @baton/aws). The bucket holds latents, images,
 * previews, files, batch inputs and outputs; each prefix has its lifetime (lifecycle.ts).
 */
import { TABLE_DEFINITION } from '../packages/aws/src/table-definition';
import { config } from './config';
import { lifecycle } from './lifecycle';

export const bucket = new sst.aws.Bucket('Store');

export const table = new sst.aws.Dynamo('State', {
  fields: TABLE_DEFINITION.fields,
  primaryIndex: TABLE_DEFINITION.primaryIndex,
  globalIndexes: TABLE_DEFINITION.globalIndexes,
  ttl: TABLE_DEFINITION.ttl,
});

new aws.s3.BucketLifecycleConfigurationV2('StoreLifecycle', {
  bucket: bucket.name,
  rules: lifecycle(config).map((r) => ({
    id: r.prefix.replace(/\/$/, ''),
    status: 'Enabled',
    filter: { prefix: r.prefix },
    expiration: { days: r.days },
  })),
});
