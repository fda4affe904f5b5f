/**
 * The deployed resources, read through SST's links (Resource), as an AwsConfig.
 * BATON_S3_ENDPOINT / BATON_SQS_ENDPOINT / BATON_LOCAL_CREDENTIALS point the same entry
 * points at the local stack's servers (tests); in AWS they are unset (connectionFromEnv).
 */
import { type AwsConfig, connectionFromEnv } from '@baton/aws';
import { Resource } from 'sst';

export function awsConfig(env: NodeJS.ProcessEnv = process.env): AwsConfig {
  return {
    region: env.AWS_REGION ?? 'us-east-1',
    bucket: Resource.Store.name,
    queues: {
      base: Resource.BaseQueue.url,
      relay: Resource.RelayQueue.url,
      decode: Resource.DecodeQueue.url,
    },
    webhookQueue: Resource.WebhookQueue.url,
    ...connectionFromEnv(env),
  };
}
