/**
 * OpenAI's Batch API for /v1/images/generations: create a batch from an uploaded JSONL file,
 * read it, list them, cancel one. The request only checks and records; the batch worker fans
 * the lines out (batches/fanout.ts).
 */

import {
  BATCH_ENDPOINTS,
  BATCH_TERMINAL,
  type BatchRecord,
  BatchSchema,
  checkInput,
  createBatch,
  currentStatus,
  isBatchId,
  publicBatch,
} from '@baton/batches';
import type { KeyRecord } from '@baton/service';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { notFound } from '../api-error.ts';
import type { Api, Env } from '../context.ts';
import { validationHook } from '../middleware/errors.ts';
import { errorResponse, json, objectRoute } from './responses.ts';

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
    const f = await checkInput(api.batching, body.input_file_id, body.endpoint, key?.id ?? null);
    const b = await createBatch(api.batching, {
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
      await api.batching.enqueueBatch?.({ v: 1, batchId: b.id }, 0);
    }
    return c.json(await publicBatch(api.batches, b), 200);
  });
  return app;
}
