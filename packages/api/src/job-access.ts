/** Reading jobs as a caller may see them, and waiting for them to end. */
import { isJobId, type JobRequest, type JobState, nextLookMs, TERMINAL } from '@baton/jobs';
import { type KeyRecord, publicJob, publicOrigin } from '@baton/service';
import type { Context } from 'hono';
import { notFound } from './api-error.ts';
import type { Api, Env } from './context.ts';

/** A job the caller may see: another key's job is 404, never 403. */
export async function visibleJob(api: Api, id: string, key: KeyRecord | null): Promise<JobState> {
  const s = isJobId(id) ? await api.jobs.state(id) : null;
  if (!s || (api.keys && s.request.owner !== key?.id)) throw notFound(`job ${id}`);
  return s;
}

/** The quickest a waiter looks again (ms): once the job's last stage is about to end. */
export const FAST_LOOK_MS = 10;

/** The quickest and slowest a waiter looks again (nextLookMs). */
export const lookBounds = (api: Api) => ({
  min: Math.min(FAST_LOOK_MS, api.config.pollMs),
  max: api.config.pollMs,
});

/**
 * Waits until every job has ended or the time is up, then reads their states. Each job is
 * looked at (one read) when its records say (nextLookMs): a job of a kind seen ended before
 * (api.forecast) not before about when such jobs end; else a tenth of its age, of its last
 * diffusion stage's once that runs, every 10 ms while it decodes. A job just made is not read
 * before it could have ended.
 */
export async function waitForJobs(
  api: Api,
  requests: readonly JobRequest[],
  ms: number,
  key: KeyRecord | null,
): Promise<JobState[]> {
  const deadline = api.now() + ms;
  const bounds = lookBounds(api);
  const ended = new Map<JobRequest, JobState>();
  const gone = new Set<JobRequest>();
  // When each job is next looked at: where its kind has a forecast, once it could have ended.
  const due = new Map(
    requests.map((r) => {
      const expected = api.forecast.expected(r);
      const first = expected ? nextLookMs(r, [], api.now(), bounds, expected) : 0;
      return [r, api.now() + first];
    }),
  );
  for (;;) {
    const pending = requests.filter((r) => !ended.has(r) && !gone.has(r));
    if (!pending.length || api.now() >= deadline) break;
    const now = api.now();
    const ready = pending.filter((r) => due.get(r)! <= now);
    const looks = await Promise.all(ready.map((r) => api.jobs.look(r, bounds, api.forecast)));
    for (const [i, look] of looks.entries()) {
      const r = ready[i]!;
      if (!look) gone.add(r);
      else if ('ended' in look) ended.set(r, look.ended);
      // From when this look began: a read that took a while does not stretch the cadence.
      else due.set(r, now + look.nextMs);
    }
    const next = Math.min(...pending.filter((r) => !ended.has(r) && !gone.has(r)).map((r) => due.get(r)!));
    if (Number.isFinite(next))
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(next, deadline) - api.now())));
  }
  // The ended ones as the last look read them; the rest read now (a job gone is a 404).
  return Promise.all(requests.map((r) => ended.get(r) ?? visibleJob(api, r.id, key)));
}

/**
 * RFC 7240's `Prefer: wait=N` (as Replicate takes it): how long a request may hold its answer
 * for the job to end (ms), at most the synchronous wait; 0 without it. A preference that cannot
 * be read is ignored, as the RFC asks. The route says what it applied (Preference-Applied).
 */
export function preferredWaitMs(api: Api, prefer: string | undefined): number {
  const n = /(?:^|[,;\s])wait=(\d{1,6})(?=$|[,;\s])/i.exec(prefer ?? '')?.[1];
  return n === undefined ? 0 : Math.min(Number(n) * 1000, api.config.syncWaitMs);
}

/**
 * Answers the job object (a job the caller may see), held up to `Prefer: wait=N` for it to end.
 * Says what it applied (Preference-Applied).
 */
export async function answerJob<S extends 200 | 202>(api: Api, c: Context<Env>, id: string, status: S) {
  const key = c.get('key');
  let s = await visibleJob(api, id, key);
  const ms = preferredWaitMs(api, c.req.header('prefer'));
  if (ms) {
    c.header('preference-applied', `wait=${Math.ceil(ms / 1000)}`);
    if (!TERMINAL.includes(s.status)) [s] = (await waitForJobs(api, [s.request], ms, key)) as [JobState];
  }
  return c.json(publicJob(s, publicOrigin(c), api.links), status);
}
