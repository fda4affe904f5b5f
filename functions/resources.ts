/**
 * The deployed resources, read through SST's links (Resource), as an AwsConfig.
 * BATON_S3_ENDPOINT / BATON_SQS_ENDPOINT / BATON_LOCAL_CREDENTIALS point the same entry
 * points at the local stack's servers (tests); in AWS they are unset (connectionOf).
 */
import { type AwsConfig, connectionOf } from '@baton/aws';
import { type Config, config } from '@baton/config';
import { Resource } from 'sst';

/** A linked queue's URL, or undefined where this deployment has no such queue (SST throws for one not linked). */
function linkedUrl(name: 'BaseBatchLane' | 'RelayBatchLane' | 'DecodeBatchLane'): string | undefined {
  try {
    return Resource[name]?.url;
  } catch {
    return undefined;
  }
}

export function awsConfig(c: Config = config()): AwsConfig {
  const lanes = {
    base: linkedUrl('BaseBatchLane'),
    relay: linkedUrl('RelayBatchLane'),
    decode: linkedUrl('DecodeBatchLane'),
  };
  return {
    region: c.AWS_REGION,
    bucket: Resource.Store.name,
    table: Resource.State.name,
    queues: {
      base: Resource.BaseQueue.url,
      relay: Resource.RelayQueue.url,
      decode: Resource.DecodeQueue.url,
    },
    ...(lanes.base && { lanes: Object.fromEntries(Object.entries(lanes).filter(([, url]) => url)) }),
    webhookQueue: Resource.WebhookQueue.url,
    batchQueue: Resource.BatchQueue.url,
    eventsQueue: Resource.EventsQueue.url,
    ...connectionOf(c),
  };
}
