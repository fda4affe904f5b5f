/**
 * The local stack's queue consumers: what AWS runs as Lambdas on their queues, here in this
 * process through `@baton/queues`' poll adapter, with the same consumer declarations: the batch
 * queue, the events queue (to .baton/events.ndjson), the webhook delivery queue and the stages'
 * dead-letter queues. The inbox is listed every second (in AWS an S3 notification reaches the
 * intake queue), each object through the same intake as the Lambda's.
 */
import { setMaxListeners } from 'node:events';
import { type AwsConfig, FileBus, SqsQueue, STAGE_QUEUES } from '@baton/aws';
import { type BatchContext, batchConsumer, eventsConsumer, INBOX, intakeObject } from '@baton/batches';
import type { JobStore } from '@baton/jobs';
import { type Consumer, pollQueue } from '@baton/queues';
import { deadLetterConsumer, type Logger, type WebhookSender, webhookConsumer } from '@baton/worker';

export interface ConsumerOptions {
  config: AwsConfig;
  batching: BatchContext;
  jobs: JobStore;
  webhooks: WebhookSender;
  maxReceiveCount: number;
  /** Where events are written (one JSON line each). */
  eventsFile: string;
  /** The API's own origin, for links in event details. */
  origin: () => string;
  log: Logger;
  /** How often the inbox is listed (ms). */
  inboxEveryMs?: number;
}

export function startConsumers(o: ConsumerOptions): { stop(): Promise<void> } {
  const abort = new AbortController();
  // Every loop's poll in flight listens on this one signal (more than Node's default 10 warns).
  setMaxListeners(64, abort.signal);
  const run = (url: string, consumer: Consumer) =>
    pollQueue(new SqsQueue(o.config, url), consumer, {
      waitSeconds: 1,
      signal: abort.signal,
      log: o.log,
    });
  const loops = [
    run(o.config.batchQueue!, batchConsumer(o.batching, o.log)),
    run(o.config.eventsQueue!, eventsConsumer(o.batching, new FileBus(o.eventsFile), o.origin, o.log)),
    run(o.config.webhookQueue!, webhookConsumer(o.jobs, o.webhooks, o.log)),
    ...STAGE_QUEUES.map((q) =>
      run(o.config.deadLetterQueues![q]!, deadLetterConsumer(o.jobs, o.maxReceiveCount, o.webhooks, o.log)),
    ),
  ];
  const watchInbox = async () => {
    const keys = await o.batching.files.store.list(INBOX).catch((e) => {
      o.log('stack.inbox_error', { error: String(e) });
      return [];
    });
    // One object that cannot be taken now (it is tried again next time) holds up no other.
    for (const key of keys) {
      try {
        const r = await intakeObject(o.batching, key);
        if (r !== 'seen') o.log('stack.inbox', { key, result: r });
      } catch (e) {
        o.log('stack.inbox_error', { key, error: String(e) });
      }
    }
  };
  let watching = Promise.resolve();
  const inbox = setInterval(() => {
    watching = watching.then(watchInbox);
  }, o.inboxEveryMs ?? 1000);
  return {
    stop: async () => {
      clearInterval(inbox);
      abort.abort();
      await Promise.all([...loops, watching]);
    },
  };
}
