/**
 * The sweep: re-enqueues the next stage of every unfinished job that has shown no activity for
 * `staleMs` (a lost message, a worker killed mid-stage, a stack restarted), and finishes (place
 * back, out of the active index) every ended job still in the index (a crash between its
 * outcome and its release). Duplicates are harmless: workers skip stages with a done record.
 */
import type { JobRecords } from './job-records.ts';
import { carriedRequest, type Enqueue, routeOf } from './message.ts';
import type { JobRequest } from './records.ts';
import { deriveState, TERMINAL } from './records.ts';

/** What the sweep needs of the job store (job-store.ts runs it as `jobs.sweep`). */
export interface Sweepable extends Pick<JobRecords, 'activeIds' | 'job' | 'now' | 'append'> {
  /** Gives the job's quota place back and takes it out of the active index. */
  finished(request: JobRequest): Promise<void>;
}

export async function sweepJobs(
  jobs: Sweepable,
  enqueue: Enqueue,
  staleMs: number,
): Promise<{ requeued: string[]; finished: string[] }> {
  const requeued: string[] = [];
  const finished: string[] = [];
  // The index is eventually consistent: each job is read again before anything is done to it.
  for (const id of await jobs.activeIds()) {
    const job = await jobs.job(id);
    if (!job) continue;
    const { request, records, progress } = job;
    const state = deriveState(request, records, progress);
    if (TERMINAL.includes(state.status)) {
      await jobs.finished(request);
      finished.push(id);
      continue;
    }
    const lastActivity = Math.max(
      request.createdAt,
      ...records.filter((r) => r.kind !== 'requeued' || r.stage === state.stage).map((r) => r.at),
      ...Object.values(progress).map((p) => p.at),
    );
    if (jobs.now() - lastActivity < staleMs || !state.stage) continue;
    await jobs.append(id, 'requeued', state.stage);
    await enqueue({
      v: 1,
      jobId: id,
      stage: state.stage,
      correlationId: request.correlationId,
      ...routeOf(request),
      request: carriedRequest(request),
    });
    requeued.push(id);
  }
  return { requeued, finished };
}
