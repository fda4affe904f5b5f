/** GET /v1/jobs/{id}/image: the image by a signed link, in the format its query asks (png, jpeg, webp). */
import { isJobId } from '@baton/jobs';
import { CONTENT_TYPES, convertPng, OUTPUT_FORMATS, type OutputFormat } from '@baton/pipeline/formats';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { badRequest, notFound } from '../api-error.ts';
import type { Api, Env } from '../context.ts';
import { validationHook } from '../middleware/errors.ts';
import { errorResponse } from './responses.ts';

const params = z.object({ id: z.string().openapi({ example: 'job_abcdefghijklmnop' }) });
const notFoundResponse = errorResponse('Not found (also: another key’s job)');

export function jobImageRoutes(api: Api) {
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook });
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
