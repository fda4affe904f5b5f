/** Builds the production objects from an AwsConfig: the same wiring locally and in AWS. */
import { type AwsConfig, S3BlobStore, SqsQueue, type StageQueue } from '@baton/aws';
import { type Enqueue, JobStore } from './job-store.ts';

export function queueOf(stage: string): StageQueue {
  if (stage === 'base' || stage === 'decode') return stage;
  if (/^relay\d+$/.test(stage)) return 'relay';
  throw new RangeError(`no queue for stage "${stage}"`);
}

export function wire(config: AwsConfig) {
  const store = new S3BlobStore(config);
  const jobs = new JobStore(store);
  const queues = {
    base: new SqsQueue(config, config.queues.base),
    relay: new SqsQueue(config, config.queues.relay),
    decode: new SqsQueue(config, config.queues.decode),
  };
  const enqueue: Enqueue = async (msg) => {
    await queues[queueOf(msg.stage)].send(msg);
  };
  return { store, jobs, queues, enqueue };
}
