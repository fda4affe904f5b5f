/** Reading jobs as a caller may see them, and waiting for them to end. */
import { isJobId, type JobRequest, type JobState } from '@baton/jobs';
import type { KeyRecord } from '@baton/service';
import { notFound } from './api-error.ts';
import type { Api } from './context.ts';

/** A job the caller may see: another key's job is 404, never 403. */
export async function visibleJob(api: Api, id: string, key: KeyRecord | null): Promise<JobState> {
  const s = isJobId(id) ? await api.jobs.state(id) : null;
  if (!s || (api.keys && s.request.owner !== key?.id)) throw notFound(`job ${id}`);
  return s;
}

/** Waits until every job has ended or the time is up; polls one LIST per job, reads state once. */
export async function waitForJobs(
  api: Api,
  requests: readonly JobRequest[],
  ms: number,
  key: KeyRecord | null,
): Promise<JobState[]> {
  const deadline = api.now() + ms;
  const pending = new Set(requests);
  while (pending.size && api.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(api.config.pollMs, Math.max(1, deadline - api.now()))));
    const ended = await Promise.all(
      [...pending].map(async (r) => [r, await api.jobs.isTerminal(r)] as const),
    );
    for (const [r, yes] of ended) if (yes) pending.delete(r);
  }
  return Promise.all(requests.map((r) => visibleJob(api, r.id, key)));
}
