/** One bucket for latents, images and job records; each prefix has its lifetime (lifecycle.ts). */
import { config } from './config';
import { lifecycle } from './lifecycle';

export const bucket = new sst.aws.Bucket('Store');

new aws.s3.BucketLifecycleConfigurationV2('StoreLifecycle', {
  bucket: bucket.name,
  rules: lifecycle(config).map((r) => ({
    id: r.prefix.replace(/\/$/, ''),
    status: 'Enabled',
    filter: { prefix: r.prefix },
    expiration: { days: r.days },
  })),
});
