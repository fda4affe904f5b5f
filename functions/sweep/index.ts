/** Scheduled sweep: re-enqueues the next stage of unfinished jobs that show no activity (a lost message). */
import { jsonLogger, wire } from '@baton/jobs';
import { awsConfig } from '../resources.ts';

const { jobs, enqueue } = wire(awsConfig());
const log = jsonLogger({ service: 'sweep' });

export const handler = async () => {
  const staleMs = Number(process.env.BATON_STALE_AFTER_MS ?? 15 * 60_000);
  const r = await jobs.sweep(enqueue, staleMs);
  log('sweep.done', { requeued: r.requeued, finished: r.finished.length });
  return { requeued: r.requeued.length, finished: r.finished.length };
};
