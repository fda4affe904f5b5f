/**
 * The local stack's pipeline consumers (in AWS each is a Lambda on its queue, or an S3 event
 * notification): the batch queue's worker, the events queue's publisher (to
 * .baton/events.ndjson), and the inbox watcher that turns JSONL dropped under
 * batches/inbox/{key id}/ into batches. The same functions from @baton/api do the work.
 */
import {
  type ApiDeps,
  type BatchMessage,
  batchWorker,
  INBOX,
  intakeObject,
  type KeyStore,
  parseBatchMessage,
  publishEvent,
} from '@baton/api';
import { type AwsConfig, FileBus, SqsQueue } from '@baton/aws';
import { keys as jobKeys, parseEventMessage } from '@baton/jobs';
import type { Logger } from '@baton/worker';

export interface PipelineOptions {
  config: AwsConfig;
  deps: Omit<ApiDeps, 'enqueueBatch'>;
  keys: KeyStore | undefined;
  /** Where events are written (one JSON line each). */
  eventsFile: string;
  /** The API's own origin, for links in event details. */
  origin: () => string;
  log: Logger;
  /** How often the inbox is listed, and a running batch looked at (ms / s). */
  inboxEveryMs?: number;
  batchPollSeconds?: number;
  inFlight?: number;
}

/** Receives from a queue until stopped, handling each message; a failed one is visible again in 1 s. */
function consume(queue: SqsQueue, handle: (body: string) => Promise<void>, log: Logger, signal: AbortSignal) {
  const loop = async () => {
    while (!signal.aborted) {
      try {
        const messages = await queue.receive(10, 1, 120);
        await Promise.all(
          messages.map(async (m) => {
            try {
              await handle(m.body);
              await queue.delete(m.receiptHandle);
            } catch (e) {
              log('stack.pipeline_error', { queue: queue.url, messageId: m.id, error: String(e) });
              await queue.extend(m.receiptHandle, 1).catch(() => undefined);
            }
          }),
        );
      } catch (e) {
        if (!signal.aborted) log('stack.pipeline_queue_error', { queue: queue.url, error: String(e) });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  return loop();
}

export function startPipelines(o: PipelineOptions) {
  const abort = new AbortController();
  const batchQueue = new SqsQueue(o.config, o.config.batchQueue!);
  const eventsQueue = new SqsQueue(o.config, o.config.eventsQueue!);
  const enqueueBatch = async (m: BatchMessage, delaySeconds: number) => {
    await batchQueue.send(m, delaySeconds);
  };
  const store = o.deps.jobs.store;
  const worker = batchWorker({
    ...o.deps,
    enqueueBatch,
    pollSeconds: o.batchPollSeconds ?? 1,
    ...(o.inFlight && { inFlight: o.inFlight }),
    // Outbox results link images by presigned S3 URLs (no API in their path), for 7 days.
    ...(store.signedUrl && {
      outboxUrl: (jobId: string) => store.signedUrl!(jobKeys.output(jobId, 'decode'), 7 * 24 * 3600),
    }),
  });
  const bus = new FileBus(o.eventsFile);
  const loops = [
    consume(
      batchQueue,
      async (body) => {
        const m = parseBatchMessage(body);
        if (m) await worker.advance(m.batchId);
      },
      o.log,
      abort.signal,
    ),
    consume(
      eventsQueue,
      async (body) => {
        const m = parseEventMessage(body);
        if (m) await publishEvent(worker.api, bus, m, o.origin());
      },
      o.log,
      abort.signal,
    ),
  ];
  const watchInbox = async () => {
    try {
      for (const key of await store.list(INBOX)) {
        const r = await intakeObject(worker.api, o.keys, key);
        if (r !== 'seen') o.log('stack.inbox', { key, result: r });
      }
    } catch (e) {
      o.log('stack.inbox_error', { error: String(e) });
    }
  };
  let watching = Promise.resolve();
  const inbox = setInterval(() => {
    watching = watching.then(watchInbox);
  }, o.inboxEveryMs ?? 1000);
  return {
    enqueueBatch,
    stop: async () => {
      clearInterval(inbox);
      abort.abort();
      await Promise.all([...loops, watching]);
    },
  };
}
