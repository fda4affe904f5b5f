/** GET /v1/usage: the caller's ledger, by day. */
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
            schema: z.object({ object: z.literal('list'), key: z.string().nullable(), data: z.array(Day) }),
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
    return c.json({ object: 'list' as const, key: key?.id ?? null, data }, 200);
  });
}
