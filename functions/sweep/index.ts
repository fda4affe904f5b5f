/** Scheduled sweep: re-enqueues the next stage of unfinished jobs that show no activity (a lost message). */
import { config } from '@baton/config';
import { connectJobs } from '@baton/jobs';
import { jsonLogger } from '@baton/worker';
import { awsConfig } from '../resources.ts';

const { jobs, enqueue } = connectJobs(awsConfig());
const log = jsonLogger({ service: 'sweep' });

export const handler = async () => {
  const staleMs = config().BATON_STALE_AFTER_MS;
  const r = await jobs.sweep(enqueue, staleMs);
  log('sweep.done', { requeued: r.requeued, finished: r.finished.length });
  return { requeued: r.requeued.length, finished: r.finished.length };
};
