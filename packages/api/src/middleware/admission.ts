/**
 * Admission: the per-key request rate (a token bucket, spent by every request that would
 * create work, valid or not, before its body is read) and the concurrent-job quota (checked
 * once the request is known valid, before anything is stored). Both answer 429 with Retry-After.
 */
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

export async function checkQuota(api: Api, owner: string | undefined, jobsWanted: number): Promise<void> {
  if (!owner) return;
  const active = await api.jobs.activeCount(owner);
  if (active + jobsWanted > api.limits.maxConcurrentJobs) {
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
