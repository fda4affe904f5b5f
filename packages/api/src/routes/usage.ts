/** GET /v1/usage: the caller's ledger, by day. */
import type { UsageRecord } from '@baton/jobs';
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

/** Usage records summed per day (each job counted once a day). */
export function dailyUsage(records: readonly UsageRecord[]): z.infer<typeof Day>[] {
  const days = new Map<
    string,
    { jobs: Set<string>; stages: number; computeMs: number; steps: number; pixels: number; cost: number }
  >();
  for (const r of records) {
    const d = days.get(r.day) ?? {
      jobs: new Set<string>(),
      stages: 0,
      computeMs: 0,
      steps: 0,
      pixels: 0,
      cost: 0,
    };
    d.jobs.add(r.jobId);
    d.stages++;
    d.computeMs += r.computeMs;
    d.steps += r.steps;
    d.pixels += r.pixels;
    d.cost += r.costUsd;
    days.set(r.day, d);
  }
  return [...days.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([date, d]) => ({
      date,
      jobs: d.jobs.size,
      stages: d.stages,
      compute_ms: d.computeMs,
      steps: d.steps,
      pixels: d.pixels,
      cost_usd: Number(d.cost.toPrecision(4)),
    }));
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
            schema: z.object({ object: z.literal('list'), key: z.string().nullable(), data: z.array(Day) }),
          },
        },
      },
    },
  });
  return app.openapi(route, async (c) => {
    const key = c.get('key');
    const records = await api.jobs.ledger(key?.id ?? 'local');
    return c.json({ object: 'list' as const, key: key?.id ?? null, data: dailyUsage(records) }, 200);
  });
}
