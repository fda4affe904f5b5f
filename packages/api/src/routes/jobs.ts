/** Async jobs: create (with Idempotency-Key), list, read, cancel, follow (SSE), and the signed image. */

import { JobSchema, planJob, publicJob, publicOrigin, randomSeed } from '@baton/service';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Api, Env } from '../context.ts';
import { claimIdempotencyKey } from '../idempotency.ts';
import { answerJob } from '../job-access.ts';
import { admitJobs } from '../middleware/admission.ts';
import { validationHook } from '../middleware/errors.ts';

import { continueRoutes } from './continue.ts';
import { jobViewRoutes } from './job-view.ts';
import { errorResponse, json } from './responses.ts';

export function jobsRoutes(api: Api) {
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook });
  const create = createRoute({
    method: 'post',
    path: '/v1/jobs',
    summary: 'Create a job (answers at once; follow it by id)',
    request: {
      body: { required: true, content: { 'application/json': { schema: api.schemas.job } } },
      headers: z.object({
        'idempotency-key': z.string().optional(),
        prefer: z
          .string()
          .optional()
          .openapi({ description: '`wait=N`: answer once the job ends, or after N s' }),
      }),
    },
    responses: {
      202: json(JobSchema, 'Accepted'),
      400: errorResponse('Invalid request'),
      409: errorResponse('Idempotency-Key reused with another body'),
      429: errorResponse('Rate limit or concurrent-job quota; see Retry-After'),
    },
  });
  app.openapi(create, async (c) => {
    const b = c.req.valid('json');
    const key = c.get('key');
    // With `Prefer: wait=N`, the answer waits up to N s for the job to end (still 202: a job).
    const answer = (id: string) => answerJob(api, c, id, 202);
    const plan = (id?: string) =>
      planJob(api, b, key, {
        seed: b.seed ?? randomSeed(),
        ...(b.expand != null && { expand: b.expand }),
        ...(b.webhook && { webhook: b.webhook }),
        ...(id && { id }),
        ...(b.previews !== false && { previews: 'stages' as const }),
      });
    const idem = c.req.header('idempotency-key');
    if (!idem) {
      const request = await plan();
      await admitJobs(api, [request]);
      return answer(request.id);
    }
    const claimed = await claimIdempotencyKey(api, key?.id ?? 'anonymous', idem, b);
    if (!claimed.won) c.header('idempotent-replayed', 'true');
    if (claimed.existing) return answer(claimed.jobId);
    try {
      const request = await plan(claimed.jobId);
      await admitJobs(api, [request]);
    } catch (e) {
      // Refused or invalid: nothing was accepted, so the key stays free for a corrected request.
      await claimed.release();
      throw e;
    }
    return answer(claimed.jobId);
  });

  const list = createRoute({
    method: 'get',
    path: '/v1/jobs',
    summary: "The caller's recent jobs, newest first",
    request: { query: z.object({ limit: z.string().optional() }) },
    responses: { 200: json(z.object({ object: z.literal('list'), data: z.array(JobSchema) }), 'Jobs') },
  });
  app.openapi(list, async (c) => {
    const key = c.get('key');
    if (!key) return c.json({ object: 'list' as const, data: [] }, 200);
    const limit = Math.min(50, Math.max(1, Number(c.req.query('limit') ?? 20) || 20));
    const origin = publicOrigin(c);
    const states = await api.jobs.listByOwner(key.id, limit);
    return c.json({ object: 'list' as const, data: states.map((s) => publicJob(s, origin, api.links)) }, 200);
  });

  app.route('/', continueRoutes(api));
  app.route('/', jobViewRoutes(api));
  return app;
}
