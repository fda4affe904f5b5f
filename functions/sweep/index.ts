/**
 * Scheduled sweep: re-enqueues the next stage of unfinished jobs that show no activity, and
 * the next look at unfinished batches the batch worker has not looked at, and every state
 * change not yet published (a lost message).
 */
import { SqsQueue } from '@baton/aws';
import { BatchStore, CLAIM_STALE_MS, sweepBatches } from '@baton/batches';
import { config } from '@baton/config';
import { connectJobs, type EventMessage, sweepEvents } from '@baton/jobs';
import { jsonLogger } from '@baton/worker';
import { awsConfig } from '../resources.ts';

const c = config();
const aws = awsConfig(c);
const { jobs, enqueue, table } = connectJobs(aws);
const batchQueue = new SqsQueue(aws, aws.batchQueue!);
const batching = {
  batches: new BatchStore(table, Date.now),
  enqueueBatch: async (m: { v: 1; batchId: string }, delaySeconds: number) => {
    await batchQueue.send(m, delaySeconds);
  },
  now: Date.now,
};
const eventsQueue = new SqsQueue(aws, aws.eventsQueue!);
const sendEvent = async (m: EventMessage) => void (await eventsQueue.send(m));
const log = jsonLogger({ service: 'sweep' });

export const handler = async () => {
  const staleMs = c.BATON_STALE_AFTER_MS;
  const r = await jobs.sweep(enqueue, staleMs);
  const batches = await sweepBatches(batching, staleMs);
  // State changes whose message was lost before they were published go to the events queue again.
  const events = await sweepEvents(table, sendEvent, { staleMs, claimStaleMs: CLAIM_STALE_MS });
  log('sweep.done', { requeued: r.requeued, finished: r.finished.length, batches, events });
  return { requeued: r.requeued.length, finished: r.finished.length, batches: batches.length, events };
};
