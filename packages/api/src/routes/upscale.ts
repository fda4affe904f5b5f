/**
 * POST /v1/images/upscale: the caller's own image through the relays (@baton/service's
 * upscale.ts), answered as the images endpoint answers. Multipart: `image` (PNG, JPEG or WebP,
 * up to the upload limit and 4096 × 4096), optional `prompt`, `size`, `seed`, `response_format`,
 * `output_format`, `output_compression`.
 */
import { keys } from '@baton/jobs';
import { OUTPUT_FORMATS, type OutputFormat } from '@baton/pipeline/formats';
import { BOUNDS } from '@baton/pipeline/spec';
import { createJobs, planUpscale, randomSeed } from '@baton/service';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ApiError, badRequest } from '../api-error.ts';
import type { Api, Env } from '../context.ts';
import { claimQuota } from '../middleware/admission.ts';
import { validationHook } from '../middleware/errors.ts';
import { answerImages } from './answer.ts';
import { errorResponse } from './responses.ts';

const route = createRoute({
  method: 'post',
  path: '/v1/images/upscale',
  summary: 'Upscale your own image through the relay stages (a relay cascade’s super-resolution)',
  request: {
    body: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: z.object({
            image: z.any().openapi({ type: 'string', format: 'binary', description: 'PNG, JPEG or WebP' }),
            prompt: z
              .string()
              .optional()
              .openapi({ description: 'What the image shows: its caption conditions the relay' }),
            size: z
              .string()
              .optional()
              .openapi({ example: '256x256', description: 'The size out (default 256x256)' }),
            seed: z.string().optional(),
            best_of: z.string().optional().openapi({
              description:
                'Candidates (1–8) relayed from the image with noise of their own, scored against the prompt; the best kept (needs prompt)',
            }),
            response_format: z
              .string()
              .optional()
              .openapi({ enum: ['b64_json', 'url'] }),
            output_format: z
              .string()
              .optional()
              .openapi({ enum: [...OUTPUT_FORMATS] }),
            output_compression: z.string().optional(),
          }),
        },
      },
    },
  },
  responses: {
    200: { description: 'As POST /v1/images/generations answers' },
    202: { description: 'The wait ran out: the job id to follow' },
    400: errorResponse('A field at fault (image, size, …)'),
    413: errorResponse('The image is over the upload limit'),
  },
});

/** A form field as text, or undefined. */
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A whole number field in min…max, or a 400 naming it. */
function whole(name: string, v: unknown, min: number, max: number): number | undefined {
  const t = text(v);
  if (t === undefined) return undefined;
  const n = Number(/^(\d+)(x\1)?$/.exec(t)?.[1] ?? Number.NaN);
  if (!Number.isInteger(n) || n < min || n > max)
    throw badRequest(name, `'${name}' must be a whole number in ${min}…${max}, got ${JSON.stringify(t)}`);
  return n;
}

export function upscaleRoutes(api: Api) {
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook });
  return app.openapi(route, async (c) => {
    const form = c.req.valid('form') as Record<string, unknown>;
    const image = form.image;
    if (!(image instanceof File)) throw badRequest('image', "'image' must be a file (multipart form field)");
    const max = api.batching.limits.maxUploadBytes;
    if (image.size > max)
      throw new ApiError(
        413,
        'invalid_request_error',
        `'image' is over ${max} bytes`,
        'image',
        'file_too_large',
      );
    const format = (text(form.output_format) ?? 'png') as OutputFormat;
    if (!OUTPUT_FORMATS.includes(format))
      throw badRequest('output_format', `'output_format' must be one of ${OUTPUT_FORMATS.join(', ')}`);
    const responseFormat = text(form.response_format) ?? 'b64_json';
    if (responseFormat !== 'b64_json' && responseFormat !== 'url')
      throw badRequest('response_format', "'response_format' must be 'b64_json' or 'url'");
    const compression = whole('output_compression', form.output_compression, 0, 100);
    if (compression !== undefined && format === 'png')
      throw badRequest(
        'output_compression',
        "'output_compression' applies to output_format 'jpeg' or 'webp'",
      );
    const key = c.get('key');
    const { request, input } = await planUpscale(
      api,
      {
        image: new Uint8Array(await image.arrayBuffer()),
        size: whole('size', form.size, 1, 100_000) ?? 256,
        seed: whole('seed', form.seed, 0, 2 ** 31 - 1) ?? randomSeed(),
        prompt: text(form.prompt),
        bestOf: whole('best_of', form.best_of, BOUNDS.bestOf.min, BOUNDS.bestOf.max) ?? 1,
      },
      key,
    );
    await claimQuota(api, [request]);
    // The input is stored before the job is: its first relay reads it.
    await api.jobs.store.put(keys.input(request.id), input, 'image/png');
    await createJobs(api, [request]);
    return answerImages(api, c, [request], {
      response_format: responseFormat,
      output_format: format,
      output_compression: compression,
    }) as never;
  });
}
