/** The public job object: what every route that shows a job answers (and its OpenAPI schema). */
import type { JobState } from '@baton/jobs';
import { bestOfJson } from '@baton/pipeline/spec';
import { z } from '@hono/zod-openapi';
import type { LinkSigner } from './links.ts';

const seconds = (ms: number) => Math.floor(ms / 1000);
const sum = <T, K extends keyof T>(xs: readonly T[], k: K) => xs.reduce((a, x) => a + Number(x[k]), 0);

export function publicJob(s: JobState, origin: string, links: LinkSigner) {
  const spec = s.request.spec;
  const running = s.stages.find((st) => st.status === 'running');
  return {
    id: s.id,
    object: 'job' as const,
    status: s.status,
    created_at: seconds(s.createdAt),
    finished_at: s.finishedAt !== undefined ? seconds(s.finishedAt) : null,
    model: s.request.model,
    prompt: spec.prompt,
    revised_prompt: spec.caption,
    warnings: spec.warnings ?? [],
    seed: spec.seed,
    size: `${spec.size}x${spec.size}`,
    variant: spec.variant,
    stage: s.stage ?? null,
    progress: running ? { stage: running.name, step: running.step ?? 0, of: running.of ?? null } : null,
    stages: s.stages.map((st) => ({
      name: st.name,
      status: st.status,
      // The stage's own image once it has finished (signed, short-lived), when the job asked for previews.
      preview_url: previewOf(s, st.name, origin, links),
      step: st.step ?? null,
      of: st.of ?? null,
      ms: st.ms ?? null,
      batch: st.batch ?? null,
      queue_wait_ms: st.queueWaitMs ?? null,
      onnx_ms: st.onnxMs ?? null,
    })),
    timings_ms: Object.fromEntries(
      s.stages.filter((st) => st.ms !== undefined).map((st) => [st.name, st.ms]),
    ),
    usage: {
      compute_ms: sum(s.usage, 'computeMs'),
      steps: sum(s.usage, 'steps'),
      pixels: sum(s.usage, 'pixels'),
      cost_usd: Number(sum(s.usage, 'costUsd').toPrecision(4)),
    },
    webhook: s.request.webhook
      ? {
          url: s.request.webhook.url,
          events: s.request.webhook.events,
          deliveries: s.deliveries.map((d) => ({
            event: d.event,
            attempt: d.attempt,
            status: d.status,
            ok: d.ok,
            at: d.at,
            ...(d.error && { error: d.error }),
          })),
        }
      : null,
    error: s.error ?? null,
    // Baton's: the job this one finishes at a larger size (POST /v1/jobs/{id}/continue).
    continued_from: s.request.continued?.from ?? null,
    // Baton's: a best_of job's candidates (seeds and scores) and the index of the one kept.
    best_of: s.scored ? bestOfJson(s.scored) : null,
    result: s.status === 'succeeded' ? { image_url: links.imageUrl(origin, s.id) } : null,
    previews: (s.previews ?? []).map((p) => ({
      index: p.index,
      source: p.label,
      url: links.previewUrl(origin, s.id, p.index),
    })),
  };
}

function previewOf(s: JobState, stage: string, origin: string, links: LinkSigner): string | null {
  const p = s.previews?.find((x) => x.label === stage);
  return p ? links.previewUrl(origin, s.id, p.index) : null;
}

export type PublicJob = ReturnType<typeof publicJob>;

export const BestOfSchema = z
  .object({
    candidates: z.array(
      z.object({
        seed: z.number().int(),
        relay_seed: z.number().int(),
        draft: z
          .boolean()
          .openapi({ description: "Drawn from a draft base (the family's cheapest variant)" }),
        score: z.number(),
      }),
    ),
    kept: z.number().int().openapi({ description: 'Index of the kept candidate' }),
  })
  .openapi('BestOf');

export const JobSchema = z
  .object({
    id: z.string(),
    object: z.literal('job'),
    status: z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']),
    created_at: z.number().int(),
    finished_at: z.number().int().nullable(),
    model: z.string(),
    prompt: z.string(),
    revised_prompt: z.string().openapi({ description: 'The expanded caption the model saw' }),
    warnings: z.array(z.string()).openapi({
      description: 'What of the prompt the caption ignored or could not honour (empty: nothing)',
    }),
    seed: z.number().int(),
    size: z.string(),
    variant: z.string(),
    stage: z.string().nullable(),
    progress: z
      .object({ stage: z.string(), step: z.number().int(), of: z.number().int().nullable() })
      .nullable(),
    stages: z.array(z.object({ name: z.string(), status: z.string() }).passthrough()),
    timings_ms: z.record(z.string(), z.number()),
    usage: z.object({ compute_ms: z.number(), steps: z.number(), pixels: z.number(), cost_usd: z.number() }),
    webhook: z
      .object({ url: z.string(), events: z.array(z.string()) })
      .passthrough()
      .nullable(),
    error: z.object({ stage: z.string(), reason: z.string(), code: z.string().optional() }).nullable(),
    continued_from: z.string().nullable().openapi({
      description:
        'The job this one continues (POST /v1/jobs/{id}/continue): it ran only the stages after it',
    }),
    best_of: BestOfSchema.nullable().openapi({
      description:
        'best_of above 1: every candidate with its seeds and score, and which was kept (null until scored)',
    }),
    result: z.object({ image_url: z.string() }).nullable(),
    previews: z.array(z.object({ index: z.number().int(), source: z.string(), url: z.string() })).openapi({
      description: 'Partial images so far: a stage\'s output ("base") or an x₀ estimate ("relay1@5")',
    }),
  })
  .openapi('Job');
