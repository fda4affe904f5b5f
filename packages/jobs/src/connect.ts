/** The job model's production objects from an AwsConfig: the same wiring locally and in AWS. */
import {
  type AwsConfig,
  DynamoStateTable,
  S3BlobStore,
  SqsQueue,
  type StageQueue,
  type StateTable,
} from '@baton/aws';
import { parseStage } from '@baton/pipeline/spec';
import { outboxEmit } from './event-outbox.ts';
import type { EmitEvent } from './events.ts';
import { RETENTION } from './job-item.ts';
import { JobStore } from './job-store.ts';
import type { Enqueue } from './message.ts';
import type { WebhookSink } from './webhook.ts';

/** The queue a stage's messages go to: every relay stage shares one. */
export function queueOf(stage: string): StageQueue {
  const s = parseStage(stage);
  return s.kind === 'relay' ? 'relay' : s.kind;
}

export function connectJobs(config: AwsConfig, o: { table?: StateTable; webhooks?: WebhookSink } = {}) {
  const store = new S3BlobStore(config);
  const table = o.table ?? new DynamoStateTable(config);
  const queues = {
    base: new SqsQueue(config, config.queues.base),
    relay: new SqsQueue(config, config.queues.relay),
    decode: new SqsQueue(config, config.queues.decode),
  };
  const lanes = Object.fromEntries(
    Object.entries(config.lanes ?? {}).map(([q, url]) => [q, new SqsQueue(config, url)]),
  ) as Partial<Record<StageQueue, SqsQueue>>;
  // A batch line's stage goes to its stage's lane, where the deployment has one.
  const enqueue: Enqueue = async (msg) => {
    const q = queueOf(msg.stage);
    await ((msg.lane === 'batch' && lanes[q]) || queues[q]).send(msg, 0, msg.tenant);
  };
  // Job and batch state changes, when this deployment has an events queue.
  const eventsQueue = config.eventsQueue ? new SqsQueue(config, config.eventsQueue) : undefined;
  // Through the outbox: a change is in the table before it is on the queue (event-outbox.ts).
  const events: EmitEvent | undefined = eventsQueue
    ? outboxEmit(table, async (m) => void (await eventsQueue.send(m)), RETENTION.jobDays)
    : undefined;
  const jobs = new JobStore(store, table, Date.now, {
    ...(events && { events }),
    ...(o.webhooks && { webhooks: o.webhooks }),
  });
  return { store, table, jobs, queues, enqueue, events };
}
