/* The linked resources as `sst deploy` defines them in infra/ (SST writes the same shape into sst-env.d.ts). */
import 'sst';

declare module 'sst' {
  export interface Resource {
    Store: { name: string; type: 'sst.aws.Bucket' };
    State: { name: string; type: 'sst.aws.Dynamo' };
    BaseQueue: { url: string; type: 'sst.aws.Queue' };
    RelayQueue: { url: string; type: 'sst.aws.Queue' };
    DecodeQueue: { url: string; type: 'sst.aws.Queue' };
    BaseDeadLetters: { url: string; type: 'sst.aws.Queue' };
    RelayDeadLetters: { url: string; type: 'sst.aws.Queue' };
    DecodeDeadLetters: { url: string; type: 'sst.aws.Queue' };
    /** Profile cpu only: the stages' lanes of batch lines. */
    BaseBatchLane?: { url: string; type: 'sst.aws.Queue' };
    RelayBatchLane?: { url: string; type: 'sst.aws.Queue' };
    DecodeBatchLane?: { url: string; type: 'sst.aws.Queue' };
    WebhookQueue: { url: string; type: 'sst.aws.Queue' };
    UrlSecret: { value: string; type: 'sst.sst.Secret' };
    BatchQueue: { url: string; type: 'sst.aws.Queue' };
    IntakeQueue: { url: string; type: 'sst.aws.Queue' };
    EventsQueue: { url: string; type: 'sst.aws.Queue' };
    Events: { name: string; arn: string; type: 'sst.aws.Bus' };
  }
}
