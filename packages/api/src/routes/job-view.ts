/** One job: read it, cancel it, follow it (server-sent events), fetch its image by signed link. */

import { isJobId } from '@baton/jobs';
import { CONTENT_TYPES, convertPng, OUTPUT_FORMATS, type OutputFormat } from '@baton/pipeline/formats';
import { JobSchema, publicJob, publicOrigin } from '@baton/service';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { badRequest, notFound } from '../api-error.ts';
import type { Api, Env } from '../context.ts';
import { visibleJob } from '../job-access.ts';
import { validationHook } from '../middleware/errors.ts';
import { endSeen, followJob, resumeFrom } from './job-events.ts';
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

  const get = jobRoute('get', '/v1/jobs/{id}', 'A job: status, stage, step, timings, usage', 'The job');
  app.openapi(get, async (c) => {
    const s = await visibleJob(api, c.req.valid('param').id, c.get('key'));
    return c.json(publicJob(s, publicOrigin(c), api.links), 200);
  });

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

  const image = createRoute({
    method: 'get',
    path: '/v1/jobs/{id}/image',
    summary: 'The image, by a signed link from a job or an images response',
    request: {
      params,
      query: z.object({
        expires: z.string(),
        signature: z.string(),
        format: z.string().optional().openapi({ description: 'png (default), jpeg or webp' }),
        compression: z.string().optional().openapi({ description: 'jpeg and webp: 0–100 (default 100)' }),
      }),
    },
    responses: {
      200: {
        description: 'The image',
        content: {
          'image/png': { schema: z.string() },
          'image/jpeg': { schema: z.string() },
          'image/webp': { schema: z.string() },
        },
      },
      400: errorResponse('format or compression is not one this link can take'),
      404: notFoundResponse,
    },
  });
  app.openapi(
    image,
    async (c) => {
      const id = c.req.param('id');
      if (!isJobId(id)) throw notFound(`job ${id}`);
      const valid = api.links.verify(id, Number(c.req.query('expires')), c.req.query('signature') ?? '');
      if (!valid) throw notFound(`image of job ${id} (the link is invalid or expired)`);
      const { format, compression } = imageFormat(c.req.query('format'), c.req.query('compression'));
      const bytes = await api.jobs.output(id, 'decode');
      if (!bytes) throw notFound(`image of job ${id}`);
      return c.body(new Uint8Array(await convertPng(bytes, format, compression)), 200, {
        'content-type': CONTENT_TYPES[format],
        'cache-control': 'private, max-age=3600',
      });
    },
    // A link without its query is simply not a valid link.
    (result) => {
      if (!result.success) throw notFound('image (the link is invalid or expired)');
      return undefined;
    },
  );
  return app;
}

/** A link's ?format= and ?compression=, or a 400 naming the one at fault. */
function imageFormat(format: string | undefined, compression: string | undefined) {
  const f = (format ?? 'png') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(f))
    throw badRequest(
      'format',
      `'format' must be one of ${OUTPUT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`,
    );
  if (compression === undefined) return { format: f, compression: undefined };
  const n = Number(compression);
  if (!Number.isInteger(n) || n < 0 || n > 100 || f === 'png')
    throw badRequest(
      'compression',
      `'compression' must be a whole number in 0…100, with format jpeg or webp`,
    );
  return { format: f, compression: n };
}
