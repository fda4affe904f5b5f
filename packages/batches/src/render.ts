/**
 * Output-file lines as a client reads them: each image, stored as its job id, becomes a
 * signed URL (fresh at every read) or, when its line asked for it, the image as b64_json; the
 * body's `warnings` are the images endpoint's (what of the prompt the image could not show).
 */
import type { JobStore } from '@baton/jobs';
import { convertPng, type OutputFormat } from '@baton/pipeline/formats';
import { withFormat } from '@baton/service';
import type { StoredLine } from './store.ts';

type Image = {
  job_id: string;
  revised_prompt?: string;
  warnings?: string[];
  response_format?: 'url' | 'b64_json';
  output_format?: OutputFormat;
  output_compression?: number;
  best_of?: unknown;
};

export async function renderLine(
  d: { jobs: JobStore },
  line: StoredLine,
  o: { url?: ((jobId: string) => Promise<string> | string) | undefined },
): Promise<string> {
  const body = line.response?.body as { data?: Image[] } | undefined;
  if (!body?.data) return `${JSON.stringify(line)}\n`;
  const data = await Promise.all(
    body.data.map(async (img) => {
      if (img.response_format === 'b64_json') {
        const bytes = await d.jobs.output(img.job_id, 'decode');
        const out = bytes && (await convertPng(bytes, img.output_format ?? 'png', img.output_compression));
        return {
          b64_json: out ? Buffer.from(out).toString('base64') : null,
          revised_prompt: img.revised_prompt,
          ...(img.best_of !== undefined && { best_of: img.best_of }),
        };
      }
      return {
        url: o.url ? withFormat(await o.url(img.job_id), img.output_format, img.output_compression) : null,
        revised_prompt: img.revised_prompt,
        ...(img.best_of !== undefined && { best_of: img.best_of }),
      };
    }),
  );
  const created = Math.floor(Date.now() / 1000);
  // As the images endpoint answers: what of the prompt the image could not show (empty: nothing).
  const warnings = [...new Set(body.data.flatMap((img) => img.warnings ?? []))];
  return `${JSON.stringify({ ...line, response: { ...line.response, body: { created, data, warnings } } })}\n`;
}
