/**
 * Admission: the per-key request rate (a token bucket, spent by every request that would
 * create work, valid or not, before its body is read) and the concurrent-job quota (checked
 * once the request is known valid, before anything is stored: a place per job, taken with
 * one conditional update of the key's quota item). Both answer 429 with Retry-After at once.
 */
import type { JobRequest } from '@baton/jobs';
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
