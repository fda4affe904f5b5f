/**
 * The deployed resources, read through SST's links (Resource), as an AwsConfig.
 * BATON_S3_ENDPOINT / BATON_SQS_ENDPOINT / BATON_LOCAL_CREDENTIALS point the same entry
 * points at the local stack's servers (tests); in AWS they are unset (connectionOf).
 */
import { type AwsConfig, connectionOf } from '@baton/aws';
import { type Config, config } from '@baton/config';
import { Resource } from 'sst';

export function awsConfig(c: Config = config()): AwsConfig {
  return {
    region: c.AWS_REGION,
    bucket: Resource.Store.name,
    table: Resource.State.name,
    queues: {
      base: Resource.BaseQueue.url,
      relay: Resource.RelayQueue.url,
      decode: Resource.DecodeQueue.url,
    },
    webhookQueue: Resource.WebhookQueue.url,
    batchQueue: Resource.BatchQueue.url,
    eventsQueue: Resource.EventsQueue.url,
    ...connectionOf(c),
  };
}
