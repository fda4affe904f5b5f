/** OpenAI's Files API, for batches: upload JSONL, read a file, read its content, delete it. */

import { type FileRecord, visibleFile as findFile, renderLine, type StoredLine } from '@baton/batches';
import { type KeyRecord, publicOrigin } from '@baton/service';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ApiError, badRequest, notFound } from '../api-error.ts';
import type { Api, Env } from '../context.ts';
import { validationHook } from '../middleware/errors.ts';
import { errorResponse, IdParam, json, objectRoute } from './responses.ts';

export const FileSchema = z
  .object({
    id: z.string(),
    object: z.literal('file'),
    bytes: z.number().int(),
    created_at: z.number().int(),
    filename: z.string(),
    purpose: z.enum(['batch', 'batch_output']),
    status: z.literal('processed'),
    status_details: z.string().nullable(),
  })
  .openapi('File');

const publicFile = (f: FileRecord) => ({
  id: f.id,
  object: 'file' as const,
  bytes: f.bytes,
  created_at: f.created_at,
  filename: f.filename,
  purpose: f.purpose,
  status: 'processed' as const,
  status_details: f.problem ?? null,
});

/** A file the caller may see: another key's is 404. */
export async function visibleFile(api: Api, id: string, key: KeyRecord | null): Promise<FileRecord> {
  const f = await findFile(api.batching, id, key?.id ?? null);
  if (!f) throw notFound(`file ${id}`);
  return f;
}

const uploadRoute = createRoute({
  method: 'post',
  path: '/v1/files',
  summary: 'Upload a file (OpenAI Files API): JSONL request lines for a batch',
  request: {
    body: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: z.object({
            file: z.any().openapi({ type: 'string', format: 'binary' }),
            purpose: z.string().openapi({ enum: ['batch'] }),
          }),
        },
      },
    },
  },
  responses: { 200: json(FileSchema, 'The file'), 400: errorResponse('Invalid upload') },
});

const oneRoute = objectRoute({
  method: 'get',
  path: '/v1/files/{id}',
  summary: 'A file',
  schema: FileSchema,
  noun: 'file',
});

const contentRoute = createRoute({
  method: 'get',
  path: '/v1/files/{id}/content',
  summary: "A file's content; a batch output's images as fresh signed URLs (or b64_json)",
  request: { params: IdParam },
  responses: {
    // Served as application/jsonl (declared as bytes: the document's types take any *json* type for JSON).
    200: {
      description: 'The content (JSONL)',
      content: { 'application/octet-stream': { schema: z.string() } },
    },
    404: errorResponse('No such file'),
  },
});

const removeRoute = createRoute({
  method: 'delete',
  path: '/v1/files/{id}',
  summary: 'Delete a file',
  request: { params: IdParam },
  responses: {
    200: json(z.object({ id: z.string(), object: z.literal('file'), deleted: z.boolean() }), 'Deleted'),
    404: errorResponse('No such file'),
  },
});

export function filesRoutes(api: Api) {
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook });
  app.openapi(uploadRoute, async (c) => {
    const form = c.req.valid('form') as { file?: unknown; purpose?: unknown };
    if (form.purpose !== 'batch') throw badRequest('purpose', "'purpose' must be 'batch'");
    if (!(form.file instanceof File))
      throw badRequest('file', "'file' must be a file (multipart form field)");
    if (form.file.size > api.batching.limits.maxUploadBytes)
      throw new ApiError(
        413,
        'invalid_request_error',
        `'file' is over ${api.batching.limits.maxUploadBytes} bytes: put bigger batches in the S3 inbox`,
        'file',
        'file_too_large',
      );
    const bytes = new Uint8Array(await form.file.arrayBuffer());
    const key = c.get('key');
    const f = await api.files.create(
      { owner: key?.id ?? null, purpose: 'batch', filename: form.file.name || 'batch.jsonl' },
      bytes,
    );
    return c.json(publicFile(f), 200);
  });

  app.openapi(oneRoute, async (c) =>
    c.json(publicFile(await visibleFile(api, c.req.valid('param').id, c.get('key'))), 200),
  );

  app.openapi(contentRoute, async (c) => {
    const f = await visibleFile(api, c.req.valid('param').id, c.get('key'));
    const bytes = await api.files.content(f);
    if (!bytes) throw notFound(`file ${f.id}`);
    if (f.batch?.kind !== 'output')
      return c.body(new Uint8Array(bytes), 200, { 'content-type': 'application/jsonl' });
    const origin = publicOrigin(c);
    const lines = new TextDecoder().decode(bytes).split('\n').filter(Boolean);
    const encoder = new TextEncoder();
    // Streamed line by line: an output of b64 images is never held whole.
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const line = lines.shift();
        if (line === undefined) return controller.close();
        const rendered = await renderLine(api, JSON.parse(line) as StoredLine, {
          url: (jobId) => api.links.imageUrl(origin, jobId),
        });
        controller.enqueue(encoder.encode(rendered));
      },
    });
    return c.body(stream, 200, { 'content-type': 'application/jsonl' });
  });

  app.openapi(removeRoute, async (c) => {
    const f = await visibleFile(api, c.req.valid('param').id, c.get('key'));
    await api.files.delete(f);
    return c.json({ id: f.id, object: 'file' as const, deleted: true }, 200);
  });
  return app;
}
