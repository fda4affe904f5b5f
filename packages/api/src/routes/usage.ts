/** GET /v1/usage: the caller's ledger, by day. */

import { publicBatch } from '@baton/batches';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Api, Env } from '../context.ts';

const Day = z.object({
  date: z.string(),
  jobs: z.number().int(),
  stages: z.number().int(),
  compute_ms: z.number(),
  steps: z.number(),
  pixels: z.number(),
  cost_usd: z.number(),
});

const BatchTotal = z.object({
  id: z.string(),
  status: z.string(),
  created_at: z.number().int(),
  lines: z.number().int(),
  jobs: z.number().int().nullable(),
  compute_ms: z.number().nullable(),
  cost_usd: z.number().nullable(),
});

/** Each recent batch with its totals (known once it has ended: they are summed when it finalizes). */
async function batchTotals(api: Api, owner: string) {
  const ids = await api.batches.listByOwner(owner, 100);
  const records = (await Promise.all(ids.map((id) => api.batches.get(id)))).filter((b) => b !== null);
  return Promise.all(
    records.map(async (b) => {
      const p = await publicBatch(api.batches, b);
      return {
        id: b.id,
        status: p.status,
        created_at: b.created_at,
        lines: b.total,
        jobs: p.usage?.jobs ?? null,
        compute_ms: p.usage?.compute_ms ?? null,
        cost_usd: p.usage?.cost_usd ?? null,
      };
    }),
  );
}

export function usageRoutes(api: Api) {
  const app = new OpenAPIHono<Env>();
  const route = createRoute({
    method: 'get',
    path: '/v1/usage',
    summary: "The caller's usage ledger, by day",
    responses: {
      200: {
        description: 'Usage by day',
        content: {
          'application/json': {
            schema: z.object({
              object: z.literal('list'),
              key: z.string().nullable(),
              data: z.array(Day),
              batches: z.array(BatchTotal).openapi({
                description:
                  "The caller's latest batches (at most 100) and what their jobs used; each job is also in `data`",
              }),
            }),
          },
        },
      },
    },
  });
  return app.openapi(route, async (c) => {
    const key = c.get('key');
    const days = await api.jobs.usageByDay(key?.id ?? 'local');
    const data = days.map((d) => ({
      date: d.date,
      jobs: d.jobs,
      stages: d.stages,
      compute_ms: d.computeMs,
      steps: d.steps,
      pixels: d.pixels,
      cost_usd: Number(d.costUsd.toPrecision(4)),
    }));
    return c.json(
      {
        object: 'list' as const,
        key: key?.id ?? null,
        data,
        batches: await batchTotals(api, key?.id ?? 'local'),
      },
      200,
    );
  });
}
