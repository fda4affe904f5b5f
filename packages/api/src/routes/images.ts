/** OpenAI's Images API: POST /v1/images/generations waits for the images, or answers 202 with job ids. */

import type { JobRequest } from '@baton/jobs';
import { convertPng, type OutputFormat } from '@baton/pipeline/formats';
import { createJobs, planJob, publicOrigin, randomSeed, withFormat } from '@baton/service';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ApiError } from '../api-error.ts';
import type { Api, Env } from '../context.ts';
import { waitForJobs } from '../job-access.ts';
import { claimQuota } from '../middleware/admission.ts';
import { validationHook } from '../middleware/errors.ts';
import { streamImage } from './previews.ts';
import { errorResponse } from './responses.ts';

const imagesRoute = (api: Api) =>
  createRoute({
    method: 'post',
    path: '/v1/images/generations',
    summary: 'Create images (OpenAI Images API)',
    request: {
      body: { required: true, content: { 'application/json': { schema: api.schemas.images } } },
      query: z.object({ wait_ms: z.string().optional() }),
    },
    responses: {
      200: {
        description: 'The images',
        content: {
          'application/json': {
            schema: z.object({
              created: z.number().int(),
              data: z.array(
                z.object({
                  b64_json: z.string().optional(),
                  url: z.string().optional(),
                  revised_prompt: z.string(),
                }),
              ),
              warnings: z.array(z.string()).openapi({
                description: 'What of the prompt the captions ignored or could not honour (empty: nothing)',
              }),
            }),
          },
        },
      },
      202: {
        description: 'Still running when the wait ran out: poll the jobs',
        content: {
          'application/json': {
            schema: z.object({
              id: z.string(),
              object: z.string(),
              job_ids: z.array(z.string()),
              status: z.string(),
              warnings: z.array(z.string()),
            }),
          },
        },
      },
      400: errorResponse('Invalid request'),
      429: errorResponse('Rate limit or quota; see Retry-After'),
    },
  });

export function imagesRoutes(api: Api) {
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook });
  return app.openapi(imagesRoute(api), async (c) => {
    const b = c.req.valid('json');
    const key = c.get('key');
    const n = b.n ?? 1;
    const base = b.seed ?? randomSeed();
    if (b.stream) {
      // One image (the schema holds n to 1): its partials as the stages write them, then the image.
      const request = await planJob(api, b, key, { seed: base, previews: b.partial_images ?? 0 });
      await claimQuota(api, [request]);
      await createJobs(api, [request]);
      return streamImage(api, c, request, {
        format: b.output_format ?? 'png',
        compression: b.output_compression ?? undefined,
      }) as never;
    }
    // Every image's job is planned (and so checked) before any is stored.
    const requests = [];
    for (let i = 0; i < n; i++) requests.push(await planJob(api, b, key, { seed: base + i }));
    await claimQuota(api, requests);
    await createJobs(api, requests);
    return answerImages(api, c, requests, b);
  });
}

/** How a finished image is returned (the images endpoint's fields). */
export interface ImageAnswer {
  response_format?: 'url' | 'b64_json' | null | undefined;
  output_format?: OutputFormat | null | undefined;
  output_compression?: number | null | undefined;
}

/**
 * Waits for the jobs (up to the synchronous wait) and answers as OpenAI's images endpoint
 * does: the images, or 202 with the job ids when the wait runs out; 409 for a job cancelled
 * meanwhile, 500 for one that failed.
 */
export async function answerImages(
  api: Api,
  c: Context<Env>,
  requests: readonly JobRequest[],
  b: ImageAnswer,
) {
  const key = c.get('key');
  const warnings = [...new Set(requests.flatMap((r) => r.spec.warnings ?? []))];
  const wait = Math.min(api.config.syncWaitMs, Number(c.req.query('wait_ms') ?? api.config.syncWaitMs));
  const states = await waitForJobs(api, requests, wait, key);
  // A job cancelled while the request waited (by its owner, through /v1/jobs/{id}/cancel): the
  // images cannot be given, and that is the caller's doing. A failed job is the server's.
  const canceled = states.find((s) => s.status === 'canceled');
  if (canceled) {
    const message = `job ${canceled.id} was canceled before its image was made`;
    throw new ApiError(409, 'invalid_request_error', message, null, 'job_canceled');
  }
  const failed = states.find((s) => s.status === 'failed');
  if (failed) {
    const message = `job ${failed.id} failed: ${failed.error?.reason ?? 'unknown'}`;
    throw new ApiError(500, 'server_error', message, null, 'job_failed');
  }
  if (states.some((s) => s.status !== 'succeeded')) {
    const ids = requests.map((r) => r.id);
    return c.json(
      { id: ids[0]!, object: 'images.generation.pending', job_ids: ids, status: 'queued', warnings },
      202,
    );
  }
  const origin = publicOrigin(c);
  const format = b.output_format ?? 'png';
  const data = await Promise.all(
    states.map(async (s) => {
      const revised_prompt = s.request.spec.caption;
      if (b.response_format === 'url')
        return {
          url: withFormat(api.links.imageUrl(origin, s.id), format, b.output_compression),
          revised_prompt,
        };
      const image = await api.jobs.output(s.id, 'decode');
      if (!image) throw new ApiError(500, 'server_error', `image of job ${s.id} is missing`);
      const bytes = await convertPng(image, format, b.output_compression ?? undefined);
      return { b64_json: Buffer.from(bytes).toString('base64'), revised_prompt };
    }),
  );
  return c.json({ created: Math.floor(api.now() / 1000), data, output_format: format, warnings }, 200);
}
