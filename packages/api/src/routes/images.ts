/** OpenAI's Images API: POST /v1/images/generations waits for the images, or answers 202 with job ids. */

import { BestOfSchema, planJob, randomSeed } from '@baton/service';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Api, Env } from '../context.ts';
import { admitJobs } from '../middleware/admission.ts';
import { validationHook } from '../middleware/errors.ts';
import { answerImages } from './answer.ts';
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
                  job_id: z.string().openapi({ description: "The image's job (GET /v1/jobs/{id})" }),
                  best_of: BestOfSchema.optional().openapi({
                    description:
                      'best_of above 1: every candidate with its seeds and score, and the kept one',
                  }),
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
      await admitJobs(api, [request]);
      return streamImage(api, c, request, {
        format: b.output_format ?? 'png',
        compression: b.output_compression ?? undefined,
      }) as never;
    }
    // Every image's job is planned (and so checked) before any is stored.
    const requests = [];
    for (let i = 0; i < n; i++) requests.push(await planJob(api, b, key, { seed: base + i }));
    await admitJobs(api, requests);
    return answerImages(api, c, requests, b);
  });
}
