/**
 * Partial images: a job's previews by signed link (GET /v1/jobs/{id}/previews/{index}), and
 * the images endpoint's `stream: true`, which sends them as OpenAI's image streaming events
 * (`image_generation.partial_image`, then `image_generation.completed`) as the stages write them.
 */

import { hasEnded, isJobId, type JobRequest, nextLookMs, type PreviewEntry } from '@baton/jobs';
import { convertPng, type OutputFormat } from '@baton/pipeline/formats';
import { decodePng, encodePng, type RgbImage, UP_FILTER } from '@baton/pipeline/image';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { notFound } from '../api-error.ts';
import type { Api, Env } from '../context.ts';
import { lookBounds } from '../job-access.ts';
import { errorResponse } from './responses.ts';

/** Nearest-neighbour upscale to `side` (a preview shown at the requested size keeps its pixels honest). */
export function upscale(img: RgbImage, side: number): RgbImage {
  if (img.width === side) return img;
  const out = new Uint8Array(side * side * 3);
  const row = side * 3;
  for (let y = 0, last = -1; y < side; y++) {
    const sy = Math.floor((y * img.height) / side);
    // A source row already drawn is copied whole (a 64 px partial shown at 256 px: 3 rows in 4).
    if (sy === last) {
      out.copyWithin(y * row, (y - 1) * row, y * row);
      continue;
    }
    last = sy;
    for (let x = 0; x < side; x++) {
      const from = (sy * img.width + Math.floor((x * img.width) / side)) * 3;
      out[y * row + x * 3] = img.data[from]!;
      out[y * row + x * 3 + 1] = img.data[from + 1]!;
      out[y * row + x * 3 + 2] = img.data[from + 2]!;
    }
  }
  return { width: side, height: side, data: out };
}

const previewRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/previews/{index}',
  summary: "A job's partial image at its own resolution, by a signed link from the job object",
  request: {
    params: z.object({ id: z.string(), index: z.string() }),
    query: z.object({ expires: z.string(), signature: z.string() }),
  },
  responses: {
    200: { description: 'The partial image', content: { 'image/png': { schema: z.string() } } },
    404: errorResponse('No such preview, or the link is invalid or expired'),
  },
});

export function previewRoutes(api: Api) {
  const app = new OpenAPIHono<Env>();
  return app.openapi(
    previewRoute,
    async (c) => {
      const { id, index } = c.req.param();
      const i = Number(index);
      if (!isJobId(id) || !Number.isInteger(i)) throw notFound(`preview ${index} of job ${id}`);
      if (!api.links.verify(`${id}/${i}`, Number(c.req.query('expires')), c.req.query('signature') ?? ''))
        throw notFound(`preview ${i} of job ${id} (the link is invalid or expired)`);
      const p = (await api.jobs.previews(id)).find((x) => x.index === i);
      const bytes = p && (await api.jobs.preview(id, p));
      if (!bytes) throw notFound(`preview ${i} of job ${id}`);
      return c.body(new Uint8Array(bytes), 200, {
        'content-type': 'image/png',
        'cache-control': 'private, max-age=3600',
      });
    },
    (result) => {
      if (!result.success) throw notFound('preview (the link is invalid or expired)');
      return undefined;
    },
  );
}

/** An image in the stream's format, base64 (a partial is encoded as the final image will be). */
const b64 = async (png: Uint8Array, f: StreamFormat) =>
  Buffer.from(await convertPng(png, f.format, f.compression)).toString('base64');

/** The format a stream's images are sent in (the request's output_format and output_compression). */
export interface StreamFormat {
  format: OutputFormat;
  compression?: number | undefined;
}

/** Fields every streamed image event carries (OpenAI's; a PNG, opaque, at the requested size). */
const common = (size: number, now: number, format: OutputFormat = 'png') => ({
  created_at: Math.floor(now / 1000),
  size: `${size}x${size}`,
  output_format: format,
  background: 'opaque' as const,
  quality: 'auto' as const,
});

/**
 * `stream: true`: the job's partial images as they are written, then the image. A job that
 * fails or is cancelled ends the stream with an OpenAI-shaped `error` event; so does a job still
 * running at the stream's deadline (`stream_timeout`, with its `job_id`: a POST cannot resume).
 */
export function streamImage(
  api: Api,
  c: Context<Env>,
  request: JobRequest,
  f: StreamFormat = { format: 'png' },
) {
  return streamSSE(c, async (stream) => {
    const { id, spec } = request;
    let sent = 0;
    let lastWrite = api.now();
    const send = async (event: string, data: unknown) => {
      await stream.writeSSE({ event, data: JSON.stringify(data) });
      lastWrite = api.now();
    };
    const sendPreviews = async (written: PreviewEntry[]) => {
      for (const p of written.filter((x) => x.index >= sent)) {
        // A small partial came with the job's read; a larger one is its object.
        const bytes = await api.jobs.preview(id, p);
        if (!bytes) break;
        const image = upscale(decodePng(bytes), spec.size);
        await send('image_generation.partial_image', {
          type: 'image_generation.partial_image',
          // Rows repeated by the upscale: PNG's Up filter makes them zeros, 3–4× faster than trying every filter.
          b64_json: await b64(encodePng(image, UP_FILTER), f),
          partial_image_index: p.index,
          ...common(spec.size, api.now(), f.format),
          // Baton's: which job, so a client may cancel it or follow it (/v1/jobs/{id}).
          job_id: id,
        });
        sent = p.index + 1;
      }
    };
    const until = api.now() + api.config.streamMaxSeconds * 1000;
    while (!stream.aborted) {
      // One read says whether it ended, which partials are written, and when to look next.
      const job = await api.jobs.job(id);
      const ended = !job || hasEnded(request, job.records);
      await sendPreviews(job?.previews ?? []);
      if (ended) break;
      if (api.now() >= until) {
        // A POST cannot be resumed: say where the job goes on (it keeps running) before the function stops.
        await send('error', {
          type: 'error',
          error: {
            message: `job ${id} is still running past this stream's ${api.config.streamMaxSeconds} s limit: follow GET /v1/jobs/${id}/events (resumable) or poll GET /v1/jobs/${id}`,
            type: 'server_error',
            param: null,
            code: 'stream_timeout',
          },
          job_id: id,
        });
        return;
      }
      if (api.now() - lastWrite >= api.config.sseKeepAliveMs) {
        await stream.write(': keep-alive\n\n');
        lastWrite = api.now();
      }
      await stream.sleep(nextLookMs(request, job.records, api.now(), lookBounds(api)));
    }
    if (stream.aborted) return;
    await send(...(await lastEvent(api, request, f)));
  });
}

/** A stream's last event: the image (`image_generation.completed`), or an `error` saying why there is none. */
async function lastEvent(api: Api, request: JobRequest, f: StreamFormat): Promise<[string, unknown]> {
  const { id, spec } = request;
  const state = await api.jobs.state(id);
  const image = state?.status === 'succeeded' ? await api.jobs.output(id, 'decode') : null;
  if (!state || !image) {
    const reason =
      state?.status === 'canceled' ? 'was canceled' : `failed: ${state?.error?.reason ?? 'unknown'}`;
    const code = state?.status === 'canceled' ? 'job_canceled' : 'job_failed';
    return [
      'error',
      { type: 'error', error: { message: `job ${id} ${reason}`, type: 'server_error', param: null, code } },
    ];
  }
  return [
    'image_generation.completed',
    {
      type: 'image_generation.completed',
      b64_json: await b64(image, f),
      ...common(spec.size, api.now(), f.format),
      // OpenAI counts tokens; a diffusion cascade has none to count (Baton bills compute: /v1/usage).
      usage: {
        total_tokens: 0,
        input_tokens: 0,
        output_tokens: 0,
        input_tokens_details: { text_tokens: 0, image_tokens: 0 },
      },
      revised_prompt: spec.caption,
      warnings: spec.warnings ?? [],
      job_id: id,
    },
  ];
}
