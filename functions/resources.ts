/** The deployed resources, read through SST's links (Resource), as an AwsConfig. */
import type { AwsConfig } from '@baton/aws';
import { Resource } from 'sst';

export function awsConfig(): AwsConfig {
  return {
    region: process.env.AWS_REGION ?? 'us-east-1',
    bucket: Resource.Store.name,
    queues: { base: Resource.BaseQueue.url, relay: Resource.RelayQueue.url, decode: Resource.DecodeQueue.url },
  };
}
