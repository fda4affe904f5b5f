/**
 * Scheduled sweep: re-enqueues the next stage of unfinished jobs that show no activity, and
 * the next look at unfinished batches the batch worker has not looked at (a lost message).
 */
import { SqsQueue } from '@baton/aws';
import { BatchStore, sweepBatches } from '@baton/batches';
import { config } from '@baton/config';
import { connectJobs } from '@baton/jobs';
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
const log = jsonLogger({ service: 'sweep' });

export const handler = async () => {
  const staleMs = c.BATON_STALE_AFTER_MS;
  const r = await jobs.sweep(enqueue, staleMs);
  const batches = await sweepBatches(batching, staleMs);
  log('sweep.done', { requeued: r.requeued, finished: r.finished.length, batches });
  return { requeued: r.requeued.length, finished: r.finished.length, batches: batches.length };
};
