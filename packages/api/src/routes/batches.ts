/**
 * OpenAI's Batch API for /v1/images/generations: create a batch from an uploaded JSONL file,
 * read it, list them, cancel one. The request only checks and records; the batch worker fans
 * the lines out (batches/fanout.ts).
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ApiError, badRequest, notFound } from '../api-error.ts';
import { contentKey, type FileRecord } from '../batches/files.ts';
import { BatchSchema, publicBatch } from '../batches/present.ts';
import { BATCH_TERMINAL, type BatchRecord, currentStatus, isBatchId, newBatchId } from '../batches/store.ts';
import type { Api, Env } from '../context.ts';
import type { KeyRecord } from '../keys.ts';
import { validationHook } from '../middleware/errors.ts';
import { visibleFile } from './files.ts';
import { errorResponse, json, objectRoute } from './responses.ts';

export const BATCH_ENDPOINTS = ['/v1/images/generations'] as const;

const CreateBatch = z
  .object({
    input_file_id: z.string({ error: "'input_file_id' must be the id of an uploaded file" }),
    endpoint: z.enum(BATCH_ENDPOINTS, { error: `'endpoint' must be one of ${BATCH_ENDPOINTS.join(', ')}` }),
    completion_window: z.literal('24h', { error: "'completion_window' must be '24h'" }),
    metadata: z
      .record(z.string().max(64), z.string().max(512), { error: "'metadata' must map strings to strings" })
      .refine((m) => Object.keys(m).length <= 16, { error: "'metadata' holds at most 16 keys" })
      .nullish(),
  })
  .openapi('BatchRequest');

async function visibleBatch(api: Api, id: string, key: KeyRecord | null): Promise<BatchRecord> {
  const b = isBatchId(id) ? await api.batches.get(id) : null;
  if (!b || (api.keys && b.owner !== key?.id)) throw notFound(`batch ${id}`);
  return b;
}

/** Checks a batch input against the limits and the endpoint; the batch is refused whole if it fails. */
export async function checkInput(api: Api, fileId: string, endpoint: string, key: KeyRecord | null) {
  const f = await visibleFile(api, fileId, key).catch(() => {
    throw badRequest('input_file_id', `no file ${fileId}`);
  });
  const refuse = (message: string) => badRequest('input_file_id', `${fileId}: ${message}`);
  if (f.purpose !== 'batch') throw refuse("its purpose is not 'batch'");
  if (f.problem) throw refuse(`not JSONL: ${f.problem}`);
  if (!f.lines) throw refuse('it has no request line');
  if (f.lines > api.batchLimits.maxLines)
    throw refuse(`${f.lines} lines; a batch holds at most ${api.batchLimits.maxLines}`);
  if (f.bytes > api.batchLimits.maxBytes)
    throw refuse(`${f.bytes} bytes; a batch input is at most ${api.batchLimits.maxBytes}`);
  const other = f.endpoints?.find((e) => e !== endpoint);
  if (other) throw refuse(`a line names ${other}, not the batch's endpoint ${endpoint}`);
  return f;
}

/** Records a batch and hands it to the batch queue. */
export async function createBatch(
  api: Api,
  o: {
    file: FileRecord;
    endpoint: string;
    metadata: Record<string, string> | null;
    owner: string | null;
    outbox?: string;
    id?: string;
  },
): Promise<BatchRecord> {
  if (!api.enqueueBatch)
    throw new ApiError(501, 'server_error', 'this deployment has no batch queue', null, 'not_configured');
  const created = Math.floor(api.now() / 1000);
  const b: BatchRecord = {
    id: o.id ?? newBatchId(),
    owner: o.owner,
    input_file_id: o.file.id,
    input_key: contentKey(o.file),
    endpoint: o.endpoint,
    completion_window: '24h',
    metadata: o.metadata,
    created_at: created,
    expires_at: created + 24 * 3600,
    total: o.file.lines ?? 0,
    ...(o.outbox && { outbox: o.outbox }),
  };
  await api.batches.create(b);
  await api.emit({ v: 1, kind: 'batch', id: b.id, type: 'Batch Created', at: api.now() });
  await api.enqueueBatch({ v: 1, batchId: b.id }, 0);
  return b;
}

const createBatchRoute = createRoute({
  method: 'post',
  path: '/v1/batches',
  summary: 'Create a batch (OpenAI Batch API)',
  request: { body: { required: true, content: { 'application/json': { schema: CreateBatch } } } },
  responses: { 200: json(BatchSchema, 'The batch'), 400: errorResponse('Invalid batch') },
});

const oneRoute = objectRoute({
  method: 'get',
  path: '/v1/batches/{id}',
  summary: 'A batch: status, counts, its output and error files',
  schema: BatchSchema,
  noun: 'batch',
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/batches',
  summary: "The caller's batches, newest first",
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).optional(),
      after: z.string().optional(),
    }),
  },
  responses: {
    200: json(
      z.object({
        object: z.literal('list'),
        data: z.array(BatchSchema),
        first_id: z.string().nullable(),
        last_id: z.string().nullable(),
        has_more: z.boolean(),
      }),
      'Batches',
    ),
  },
});

const cancelRoute = objectRoute({
  method: 'post',
  path: '/v1/batches/{id}/cancel',
  summary: 'Cancel a batch: lines not yet finished are cancelled',
  schema: BatchSchema,
  noun: 'batch',
});

export function batchesRoutes(api: Api) {
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook });
  app.openapi(createBatchRoute, async (c) => {
    const body = c.req.valid('json');
    const key = c.get('key');
    const f = await checkInput(api, body.input_file_id, body.endpoint, key);
    const b = await createBatch(api, {
      file: f,
      endpoint: body.endpoint,
      metadata: body.metadata ?? null,
      owner: key?.id ?? null,
    });
    return c.json(await publicBatch(api.batches, b), 200);
  });

  app.openapi(oneRoute, async (c) => {
    const b = await visibleBatch(api, c.req.valid('param').id, c.get('key'));
    return c.json(await publicBatch(api.batches, b), 200);
  });

  app.openapi(listRoute, async (c) => {
    const { limit = 20, after } = c.req.valid('query');
    const owner = c.get('key')?.id ?? 'local';
    const ids = await api.batches.listByOwner(owner, limit + 1, after);
    const records = (await Promise.all(ids.slice(0, limit).map((id) => api.batches.get(id)))).filter(
      (b) => b !== null,
    );
    const data = await Promise.all(records.map((b) => publicBatch(api.batches, b)));
    return c.json(
      {
        object: 'list' as const,
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: ids.length > limit,
      },
      200,
    );
  });

  app.openapi(cancelRoute, async (c) => {
    const b = await visibleBatch(api, c.req.valid('param').id, c.get('key'));
    const status = currentStatus(await api.batches.statuses(b.id));
    if (!BATCH_TERMINAL.includes(status) && (await api.batches.reach(b.id, 'cancelling'))) {
      await api.emit({ v: 1, kind: 'batch', id: b.id, type: 'Batch Cancelling', at: api.now() });
      await api.enqueueBatch?.({ v: 1, batchId: b.id }, 0);
    }
    return c.json(await publicBatch(api.batches, b), 200);
  });
  return app;
}
