/**
 * Admission: the per-key request rate (a token bucket, spent by every request that would
 * create work, valid or not, before its body is read) and the concurrent-job quota (checked
 * once the request is known valid, before anything is stored: a place per job, taken with
 * one conditional update of the key's quota item). Both answer 429 with Retry-After at once.
 */
import type { JobRequest } from '@baton/jobs';
import { createJobs } from '@baton/service';
import { createMiddleware } from 'hono/factory';
import { ApiError } from '../api-error.ts';
import type { Api, Env } from '../context.ts';

export const rateLimit = (api: Api) =>
  createMiddleware<Env>(async (c, next) => {
    const owner = c.get('key')?.id;
    if (c.req.method !== 'POST' || !owner) return next();
    const wait = api.limiter.take(owner);
    if (wait > 0) {
      throw new ApiError(
        429,
        'rate_limit_error',
        `Rate limit reached: ${api.limits.ratePerMinute} requests per minute. Retry in ${wait} s.`,
        null,
        'rate_limit_exceeded',
        { retryAfter: wait },
      );
    }
    return next();
  });

/**
 * Admits planned jobs: their quota places claimed (claimQuota) while the first job's item is
 * written, one round trip rather than two; nothing is enqueued before the claim holds, and a
 * refused claim (429) leaves no job behind.
 */
export function admitJobs(api: Api, requests: readonly JobRequest[]): Promise<void> {
  const admitted = claimQuota(api, requests);
  // Seen by the first create; never an unhandled rejection before it looks.
  admitted.catch(() => undefined);
  return createJobs(api, requests, admitted);
}

/** Takes a place for each job (atomically, all or none); 429 when they would pass the key's limit. */
export async function claimQuota(api: Api, requests: readonly JobRequest[]): Promise<void> {
  const owner = requests[0]?.owner;
  if (!owner) return;
  const ids = requests.map((r) => r.id);
  if (!(await api.jobs.quota.claim(owner, ids, api.limits.maxConcurrentJobs))) {
    throw new ApiError(
      429,
      'rate_limit_error',
      `Too many unfinished jobs: the limit is ${api.limits.maxConcurrentJobs} at once.`,
      null,
      'concurrency_limit_exceeded',
      { retryAfter: 5 },
    );
  }
}

/**
 * Load shedding: when the first stage's backlog passes its bound, work is refused at once
 * (503 `overloaded`, Retry-After growing with the backlog) rather than queued to wait minutes.
 * The backlog is read at most once a second, whatever the request rate, and off the request's
 * path once it has been read once.
 */
export function shedLoad(api: Api) {
  let read: { at: number; depth: Promise<number> } | undefined;
  let known: number | undefined;
  const depth = async () => {
    if (!api.backlog) return 0;
    if (!read || api.now() - read.at >= 1000) {
      const depth = api.backlog().catch(() => known ?? 0);
      read = { at: api.now(), depth };
      void depth.then((d) => {
        known = d;
      });
    }
    // A request does not wait on the read once one has answered: it is judged by the last
    // depth known (at most a second and one read old), and the fresh one serves the next.
    return known ?? read.depth;
  };
  return createMiddleware<Env>(async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const backlog = await depth();
    const max = api.limits.maxBacklog;
    if (backlog <= max) return next();
    const retryAfter = Math.min(120, Math.ceil((5 * backlog) / max));
    throw new ApiError(
      503,
      'server_error',
      `Busy: ${backlog} stage messages are waiting (the bound is ${max}). Retry in ${retryAfter} s.`,
      null,
      'overloaded',
      { retryAfter },
    );
  });
}
