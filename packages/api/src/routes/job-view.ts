/** One job: read it, cancel it, follow it (server-sent events), fetch its image by signed link. */

import { JobSchema, publicJob, publicOrigin } from '@baton/service';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { notFound } from '../api-error.ts';
import type { Api, Env } from '../context.ts';
import { answerJob, visibleJob } from '../job-access.ts';
import { validationHook } from '../middleware/errors.ts';
import { endSeen, followJob, resumeFrom } from './job-events.ts';
import { jobImageRoutes } from './job-image.ts';
import { errorResponse, json } from './responses.ts';

const params = z.object({ id: z.string().openapi({ example: 'job_abcdefghijklmnop' }) });
const notFoundResponse = errorResponse('Not found (also: another key’s job)');

/** A route about one job that answers the job object. */
const jobRoute = (method: 'get' | 'post', path: string, summary: string, answer: string) =>
  createRoute({
    method,
    path,
    summary,
    request: { params },
    responses: { 200: json(JobSchema, answer), 404: notFoundResponse },
  });

export function jobViewRoutes(api: Api) {
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook });

  const get = createRoute({
    method: 'get',
    path: '/v1/jobs/{id}',
    summary:
      'A job: status, stage, step, timings, usage (`Prefer: wait=N` holds the answer up to N s for it to end)',
    request: { params, headers: z.object({ prefer: z.string().optional() }) },
    responses: { 200: json(JobSchema, 'The job'), 404: notFoundResponse },
  });
  app.openapi(get, (c) => answerJob(api, c, c.req.valid('param').id, 200));

  const cancel = jobRoute(
    'post',
    '/v1/jobs/{id}/cancel',
    'Cancel a job (a finished job stays as it is)',
    'The job after the cancel',
  );
  app.openapi(cancel, async (c) => {
    const { id } = c.req.valid('param');
    await visibleJob(api, id, c.get('key'));
    // The job store announces the cancel ("Job Canceled") when this cancel is the one that lands.
    const s = await api.jobs.cancel(id);
    if (!s) throw notFound(`job ${id}`);
    return c.json(publicJob(s, publicOrigin(c), api.links), 200);
  });

  const events = createRoute({
    method: 'get',
    path: '/v1/jobs/{id}/events',
    summary: 'Server-sent events: progress, then the terminal state; resumable with Last-Event-ID',
    request: { params },
    responses: {
      200: { description: 'text/event-stream of job objects, each with its place in the progress as its id' },
      204: { description: 'Resumed after the terminal event: nothing more to send' },
      400: errorResponse('Last-Event-ID is not an id this stream sent'),
      404: notFoundResponse,
    },
  });
  app.openapi(events, async (c) => {
    const id = c.req.param('id');
    const key = c.get('key');
    await visibleJob(api, id, key);
    const lastId = resumeFrom(c.req.header('last-event-id'));
    // Resumed after the terminal event: nothing more to send, and 204 stops an EventSource.
    if (endSeen(lastId)) return c.body(null, 204);
    return streamSSE(c, (stream) => followJob(api, id, key, publicOrigin(c), stream, lastId));
  });

  app.route('/', jobImageRoutes(api));
  return app;
}
