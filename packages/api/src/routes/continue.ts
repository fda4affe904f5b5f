/** POST /v1/jobs/{id}/continue: finish a succeeded job at a larger size (@baton/service's continue.ts). */
import { JobSchema, planContinuation, publicJob, publicOrigin } from '@baton/service';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Api, Env } from '../context.ts';
import { visibleJob } from '../job-access.ts';
import { admitJobs } from '../middleware/admission.ts';
import { validationHook } from '../middleware/errors.ts';
import { errorResponse, json } from './responses.ts';

export function continueRoutes(api: Api) {
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook });
  const continuation = createRoute({
    method: 'post',
    path: '/v1/jobs/{id}/continue',
    summary: 'Finish a succeeded job at a larger size: a new job runs only the stages it did not',
    request: {
      params: z.object({ id: z.string().openapi({ example: 'job_abcdefghijklmnop' }) }),
      body: { required: true, content: { 'application/json': { schema: api.schemas.continuation } } },
    },
    responses: {
      202: json(JobSchema, 'Accepted: the new job, with continued_from'),
      400: errorResponse('The size is not larger, or the job has not succeeded'),
      404: errorResponse('Not found (also: another key’s job)'),
      409: errorResponse('latents_expired: the job’s latents are gone (kept for a day)'),
      429: errorResponse('Rate limit or concurrent-job quota; see Retry-After'),
    },
  });
  app.openapi(continuation, async (c) => {
    const key = c.get('key');
    const source = await visibleJob(api, c.req.valid('param').id, key);
    const request = await planContinuation(api, source, c.req.valid('json').size!, key);
    await admitJobs(api, [request]);
    return c.json(publicJob(await visibleJob(api, request.id, key), publicOrigin(c), api.links), 202);
  });

  return app;
}
