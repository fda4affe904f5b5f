/** Waiting for image jobs and answering as OpenAI's images endpoint does (generations, upscale, best_of). */
import type { JobRequest } from '@baton/jobs';
import { convertPng, type OutputFormat } from '@baton/pipeline/formats';
import { bestOfJson } from '@baton/pipeline/spec';
import { publicOrigin, withFormat } from '@baton/service';
import type { Context } from 'hono';
import { ApiError } from '../api-error.ts';
import type { Api, Env } from '../context.ts';
import { waitForJobs } from '../job-access.ts';

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
  waitMs?: number,
) {
  const key = c.get('key');
  const warnings = [...new Set(requests.flatMap((r) => r.spec.warnings ?? []))];
  const wait =
    waitMs ?? Math.min(api.config.syncWaitMs, Number(c.req.query('wait_ms') ?? api.config.syncWaitMs));
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
      // Baton's: which job made it, and a best_of job's candidates.
      const about = {
        revised_prompt: s.request.spec.caption,
        job_id: s.id,
        ...(s.scored && { best_of: bestOfJson(s.scored) }),
      };
      if (b.response_format === 'url')
        return { url: withFormat(api.links.imageUrl(origin, s.id), format, b.output_compression), ...about };
      const image = await api.jobs.output(s.id, 'decode');
      if (!image) throw new ApiError(500, 'server_error', `image of job ${s.id} is missing`);
      const bytes = await convertPng(image, format, b.output_compression ?? undefined);
      return { b64_json: Buffer.from(bytes).toString('base64'), ...about };
    }),
  );
  return c.json({ created: Math.floor(api.now() / 1000), data, output_format: format, warnings }, 200);
}
