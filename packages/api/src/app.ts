/**
 * The edge API: a Hono app that knows nothing of Lambda or Node servers. The local
 * stack serves it with @hono/node-server, AWS behind a function URL (hono/aws-lambda).
 */
import { createHmac, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { isTransient } from '@baton/aws';
import type { Enqueue, JobRequest, JobState, JobStore } from '@baton/jobs';
import { estimateCost, isJobId, keys, LAMBDA_3GB_PRICE_PER_SECOND, newJobId, TERMINAL } from '@baton/jobs';
import { BadRequestError, type JobOptions, resolveJob, stagesOf } from '@baton/pipeline/spec';
import { type Manifest, supportedSizes } from '@baton/runtime/manifest';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { ApiError, badRequest, notFound } from './api-error.ts';
import type { PromptExpander } from './expanders.ts';
import { openApiDocument } from './openapi.ts';
import { asObject, bool, int, num, oneOf, prompt, seed, size } from './request.ts';

export interface ApiConfig {
  /** How long POST /v1/images/generations waits before answering 202 (ms). */
  syncWaitMs: number;
  /** Lifetime of signed image URLs (s). */
  urlTtlSeconds: number;
  /** Secret for signing image URLs. */
  urlSecret: string;
  /** Poll interval while waiting or streaming events (ms). */
  pollMs: number;
  /** Price of a compute-second, for each job's cost estimate (USD). */
  pricePerComputeSecond: number;
}

export interface ApiDeps {
  jobs: JobStore;
  enqueue: Enqueue;
  manifest: Manifest;
  expander: PromptExpander;
  config?: Partial<ApiConfig>;
  now?: () => number;
}

const FIELD_NAMES: Record<string, string> = {
  stepsBase: 'steps_base',
  stepsRelay: 'steps_relay',
  guidanceBase: 'guidance',
  guidanceRelay: 'guidance_relay',
};

export function createApp(deps: ApiDeps) {
  const m = deps.manifest;
  const sizes = supportedSizes(m);
  const maxN = m.limits?.max_batch ?? 4;
  const now = deps.now ?? Date.now;
  const config: ApiConfig = {
    syncWaitMs: 60_000,
    urlTtlSeconds: 3600,
    urlSecret: randomUUID(),
    pollMs: 200,
    pricePerComputeSecond: LAMBDA_3GB_PRICE_PER_SECOND,
    ...deps.config,
  };
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(err.body(), err.status);
    if (isTransient(err) || /aborted|socket hang up/i.test(err.message)) {
      c.header('retry-after', '1');
      return c.json(
        {
          error: {
            message: 'storage is briefly unavailable; retry',
            type: 'server_error',
            param: null,
            code: 'unavailable',
          },
        },
        503,
      );
    }
    console.error(JSON.stringify({ event: 'api.error', error: err.stack ?? String(err) }));
    return c.json(
      { error: { message: 'internal error', type: 'server_error', param: null, code: null } },
      500,
    );
  });
  app.notFound((c) => c.json(notFound(`route ${c.req.method} ${c.req.path}`).body(), 404));

  const body = async (c: { req: { json: () => Promise<unknown> } }) => {
    try {
      return asObject(await c.req.json());
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw badRequest('body', 'the request body is not valid JSON', e);
    }
  };

  /** Expands the prompt, resolves the job against the manifest, stores it and enqueues its first stage. */
  const accept = async (
    b: Record<string, unknown>,
    overrides: JobOptions = {},
    expand = true,
  ): Promise<JobRequest> => {
    const p = prompt(b, m);
    const s = overrides.seed ?? seed(b) ?? randomInt(0, 2 ** 31);
    const options: JobOptions = {
      seed: s,
      size: size(b, m, sizes),
      variant: oneOf(b, 'variant', Object.keys(m.variants) as ('standard' | 'distilled')[]),
      stepsBase: int(b, 'steps_base', 1, 200),
      stepsRelay: int(b, 'steps_relay', 1, 200),
      guidanceBase: num(b, 'guidance', 0, 30),
      guidanceRelay: num(b, 'guidance_relay', 0, 30),
      ...overrides,
    };
    const expansion = expand ? await deps.expander.expand(p, s) : { caption: p.trim() };
    let spec: JobRequest['spec'];
    try {
      spec = resolveJob(m, p, expansion.caption, options);
    } catch (e) {
      if (e instanceof BadRequestError) throw badRequest(FIELD_NAMES[e.field] ?? e.field, e.message, e);
      throw e;
    }
    const request: JobRequest = {
      id: newJobId(),
      spec,
      stages: stagesOf(m, spec.size),
      model: m.id,
      createdAt: now(),
      correlationId: randomUUID(),
    };
    await deps.jobs.create(request, deps.enqueue);
    return request;
  };

  const sign = (id: string, expires: number) =>
    createHmac('sha256', config.urlSecret).update(`${id}:${expires}`).digest('base64url');

  const imageUrl = (origin: string, id: string) => {
    const expires = Math.floor(now() / 1000) + config.urlTtlSeconds;
    return `${origin}/v1/jobs/${id}/image?expires=${expires}&signature=${sign(id, expires)}`;
  };

  const publicJob = (s: JobState, origin: string) => {
    const running = s.stages.find((st) => st.status === 'running');
    return {
      id: s.id,
      object: 'job',
      status: s.status,
      created_at: Math.floor(s.createdAt / 1000),
      finished_at: s.finishedAt !== undefined ? Math.floor(s.finishedAt / 1000) : null,
      model: s.request.model,
      prompt: s.request.spec.prompt,
      revised_prompt: s.request.spec.caption,
      seed: s.request.spec.seed,
      size: `${s.request.spec.size}x${s.request.spec.size}`,
      variant: s.request.spec.variant,
      stage: s.stage ?? null,
      progress: running ? { stage: running.name, step: running.step ?? 0, of: running.of ?? null } : null,
      stages: s.stages.map((st) => ({
        name: st.name,
        status: st.status,
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
      usage: (() => {
        const u = estimateCost(s.stages, config.pricePerComputeSecond);
        return { compute_ms: u.computeMs, estimated_cost_usd: Number(u.costUsd.toPrecision(3)) };
      })(),
      error: s.error ?? null,
      result: s.status === 'succeeded' ? { image_url: imageUrl(origin, s.id) } : null,
    };
  };

  const stateOf = async (id: string) => {
    const s = isJobId(id) ? await deps.jobs.state(id) : null;
    if (!s) throw notFound(`job ${id}`);
    return s;
  };

  const waitFor = async (ids: string[], ms: number): Promise<JobState[]> => {
    const deadline = now() + ms;
    for (;;) {
      const states = await Promise.all(ids.map((id) => stateOf(id)));
      if (states.every((s) => TERMINAL.includes(s.status)) || now() >= deadline) return states;
      await new Promise((r) => setTimeout(r, Math.min(config.pollMs, Math.max(1, deadline - now()))));
    }
  };

  app.get('/healthz', (c) => c.json({ ok: true, model: m.id }));
  app.get('/openapi.json', (c) => c.json(openApiDocument(m, sizes, maxN)));

  // OpenAI Images API.
  app.post('/v1/images/generations', async (c) => {
    const b = await body(c);
    const n = int(b, 'n', 1, maxN) ?? 1;
    const format = oneOf(b, 'response_format', ['b64_json', 'url'] as const) ?? 'b64_json';
    if (b.model !== undefined && b.model !== null && b.model !== m.id) {
      throw badRequest(
        'model',
        `'model' must be '${m.id}' (the model this deployment serves), got ${JSON.stringify(b.model)}`,
      );
    }
    const base = seed(b) ?? randomInt(0, 2 ** 31);
    const first = await accept(b, { seed: base });
    const rest = await Promise.all(
      Array.from({ length: n - 1 }, (_, i) => accept(b, { seed: base + i + 1 })),
    );
    const ids = [first, ...rest].map((r) => r.id);
    const states = await waitFor(
      ids,
      Math.min(config.syncWaitMs, Number(c.req.query('wait_ms') ?? config.syncWaitMs)),
    );
    const failed = states.find((s) => s.status === 'failed' || s.status === 'canceled');
    if (failed) {
      throw new ApiError(
        500,
        'server_error',
        `job ${failed.id} ${failed.status}: ${failed.error?.reason ?? ''}`.trim(),
      );
    }
    if (states.some((s) => s.status !== 'succeeded')) {
      return c.json({ id: ids[0], object: 'images.generation.pending', job_ids: ids, status: 'queued' }, 202);
    }
    const origin = new URL(c.req.url).origin;
    const data = await Promise.all(
      states.map(async (s) => {
        const revised_prompt = s.request.spec.caption;
        if (format === 'url') return { url: imageUrl(origin, s.id), revised_prompt };
        const png = await deps.jobs.store.get(keys.output(s.id, 'decode'));
        if (!png) throw new ApiError(500, 'server_error', `image of job ${s.id} is missing`);
        return { b64_json: Buffer.from(png).toString('base64'), revised_prompt };
      }),
    );
    return c.json({ created: Math.floor(now() / 1000), data });
  });

  // Async jobs.
  app.post('/v1/jobs', async (c) => {
    const b = await body(c);
    const request = await accept(b, {}, bool(b, 'expand') ?? true);
    const s = await stateOf(request.id);
    return c.json(publicJob(s, new URL(c.req.url).origin), 202);
  });

  app.get('/v1/jobs/:id', async (c) =>
    c.json(publicJob(await stateOf(c.req.param('id')), new URL(c.req.url).origin)),
  );

  app.post('/v1/jobs/:id/cancel', async (c) => {
    const id = c.req.param('id');
    await stateOf(id);
    const s = await deps.jobs.cancel(id);
    return c.json(publicJob(s!, new URL(c.req.url).origin));
  });

  app.get('/v1/jobs/:id/events', async (c) => {
    const id = c.req.param('id');
    await stateOf(id);
    const origin = new URL(c.req.url).origin;
    return streamSSE(c, async (stream) => {
      let last = '';
      let eventId = 0;
      while (!stream.aborted) {
        const s = await stateOf(id);
        const data = JSON.stringify(publicJob(s, origin));
        const key = JSON.stringify({ ...JSON.parse(data), result: null });
        if (key !== last) {
          last = key;
          await stream.writeSSE({
            event: TERMINAL.includes(s.status) ? s.status : 'progress',
            data,
            id: String(eventId++),
          });
        }
        if (TERMINAL.includes(s.status)) break;
        await stream.sleep(config.pollMs);
      }
    });
  });

  app.get('/v1/jobs/:id/image', async (c) => {
    const id = c.req.param('id');
    if (!isJobId(id)) throw notFound(`job ${id}`);
    const expires = Number(c.req.query('expires'));
    const signature = c.req.query('signature') ?? '';
    const want = Buffer.from(sign(id, expires));
    const got = Buffer.from(signature);
    const valid = Number.isFinite(expires) && got.length === want.length && timingSafeEqual(got, want);
    if (!valid || expires * 1000 < now())
      throw notFound(`image of job ${id} (the link is invalid or expired)`);
    const png = await deps.jobs.store.get(keys.output(id, 'decode'));
    if (!png) throw notFound(`image of job ${id}`);
    return c.body(new Uint8Array(png), 200, {
      'content-type': 'image/png',
      'cache-control': 'private, max-age=3600',
    });
  });

  return app;
}
