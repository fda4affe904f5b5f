/** One bucket for latents, images and job records; intermediate latents expire sooner than images. */
import { config } from './config';

export const bucket = new sst.aws.Bucket('Store');

new aws.s3.BucketLifecycleConfigurationV2('StoreLifecycle', {
  bucket: bucket.name,
  rules: [
    {
      id: 'latents',
      status: 'Enabled',
      filter: { prefix: 'latents/' },
      expiration: { days: config.expireLatentsDays },
    },
    {
      id: 'images',
      status: 'Enabled',
      filter: { prefix: 'images/' },
      expiration: { days: config.expireImagesDays },
    },
    {
      id: 'records',
      status: 'Enabled',
      filter: { prefix: 'jobs/' },
      expiration: { days: config.expireImagesDays },
    },
  ],
});
