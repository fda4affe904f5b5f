/**
 * The edge API: a Hono app that knows nothing of Lambda or Node servers. The local
 * stack serves it with @hono/node-server, AWS behind a function URL (hono/aws-lambda).
 */
import { createHash, createHmac, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { isTransient } from '@baton/aws';
import type { Enqueue, JobRequest, JobState, JobStore, UsageRecord } from '@baton/jobs';
import { isJobId, keys, newJobId, TERMINAL } from '@baton/jobs';
import { BadRequestError, type JobOptions, resolveJob, stagesOf } from '@baton/pipeline/spec';
import { type Manifest, supportedSizes } from '@baton/runtime/manifest';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { ApiError, badRequest, notFound } from './api-error.ts';
import type { PromptExpander } from './expanders.ts';
import type { KeyRecord, KeyStore } from './keys.ts';
import { type LimitsConfig, RateLimiter } from './limits.ts';
import { openApiDocument } from './openapi.ts';
import { playgroundHtml } from './playground.ts';
import { asObject, bool, int, num, oneOf, prompt, seed, size, webhook } from './request.ts';

/** What an Idempotency-Key maps to: the request body's hash and the job made for it. */
interface IdempotencyClaim {
  bodyHash: string;
  jobId: string;
  at: number;
}

export interface ApiConfig {
  /** How long POST /v1/images/generations waits before answering 202 (ms). */
  syncWaitMs: number;
  /** Lifetime of signed image URLs (s). */
  urlTtlSeconds: number;
  /** Secret for signing image URLs. */
  urlSecret: string;
  /** Poll interval while waiting or streaming events (ms). */
  pollMs: number;
  /** How long a request replaying an Idempotency-Key waits for the job its first request is creating (ms). */
  idempotencyWaitMs: number;
}

export interface ApiDeps {
  jobs: JobStore;
  /** When given, every /v1 route needs `Authorization: Bearer <key>`, and keys see only their own jobs. */
  keys?: KeyStore;
  limits?: Partial<LimitsConfig>;
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
    idempotencyWaitMs: 5_000,
    ...deps.config,
  };
  const limits: LimitsConfig = { ratePerMinute: 120, burst: 20, maxConcurrentJobs: 16, ...deps.limits };
  const limiter = new RateLimiter(limits, now);
  const app = new Hono<{ Variables: { key: KeyRecord | null } }>();

  app.onError((err, c) => {
    if (err instanceof ApiError) {
      if (err.retryAfter !== undefined) c.header('retry-after', String(err.retryAfter));
      return c.json(err.body(), err.status);
    }
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

  // Authentication: a Bearer key on every /v1 route (image links carry their own signature).
  app.use('/v1/*', async (c, next) => {
    if (!deps.keys) {
      c.set('key', null);
      return next();
    }
    if (/^\/v1\/jobs\/[^/]+\/image$/.test(c.req.path) && c.req.query('signature')) {
      c.set('key', null);
      return next();
    }
    const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    const key = m ? await deps.keys.verify(m[1]!) : null;
    if (!key) {
      throw new ApiError(
        401,
        'invalid_request_error',
        m ? 'Incorrect API key provided.' : 'Missing API key: send Authorization: Bearer <key>.',
        null,
        'invalid_api_key',
      );
    }
    c.set('key', key);
    return next();
  });

  /** Rate and quota checks before work is created: 429 with Retry-After. */
  const admit = async (owner: string | undefined, jobsWanted: number) => {
    if (!owner) return;
    const wait = limiter.take(owner);
    if (wait > 0) {
      throw new ApiError(
        429,
        'rate_limit_error',
        `Rate limit reached: ${limits.ratePerMinute} requests per minute. Retry in ${wait} s.`,
        null,
        'rate_limit_exceeded',
        { retryAfter: wait },
      );
    }
    const active = await deps.jobs.store.list(keys.ownerActivePrefix(owner));
    if (active.length + jobsWanted > limits.maxConcurrentJobs) {
      throw new ApiError(
        429,
        'rate_limit_error',
        `Too many unfinished jobs: the limit is ${limits.maxConcurrentJobs} at once.`,
        null,
        'concurrency_limit_exceeded',
        { retryAfter: 5 },
      );
    }
  };

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
    key: KeyRecord | null,
    overrides: JobOptions = {},
    expand = true,
    id = newJobId(),
  ): Promise<JobRequest> => {
    const p = prompt(b, m);
    const hook = webhook(b);
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
      id,
      spec,
      stages: stagesOf(m, spec.size),
      model: m.id,
      createdAt: now(),
      correlationId: randomUUID(),
      ...(key && { owner: key.id }),
      ...(hook && {
        webhook: { ...hook, secret: key?.webhookSecret ?? `whsec_${randomBytes(24).toString('base64')}` },
      }),
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
      usage: {
        compute_ms: s.usage.reduce((a, u) => a + u.computeMs, 0),
        steps: s.usage.reduce((a, u) => a + u.steps, 0),
        pixels: s.usage.reduce((a, u) => a + u.pixels, 0),
        cost_usd: Number(s.usage.reduce((a, u) => a + u.costUsd, 0).toPrecision(4)),
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
      result: s.status === 'succeeded' ? { image_url: imageUrl(origin, s.id) } : null,
    };
  };

  /** A job the caller may see: another key's job is 404, never 403. */
  const stateOf = async (id: string, key: KeyRecord | null) => {
    const s = isJobId(id) ? await deps.jobs.state(id) : null;
    if (!s || (deps.keys && s.request.owner !== key?.id)) throw notFound(`job ${id}`);
    return s;
  };

  /** Waits until every job has ended or the time is up; polls one LIST per job, reads state once. */
  const waitFor = async (requests: JobRequest[], ms: number, key: KeyRecord | null): Promise<JobState[]> => {
    const deadline = now() + ms;
    const pending = new Set(requests);
    while (pending.size && now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(config.pollMs, Math.max(1, deadline - now()))));
      const ended = await Promise.all(
        [...pending].map(async (r) => [r, await deps.jobs.isTerminal(r)] as const),
      );
      for (const [r, yes] of ended) if (yes) pending.delete(r);
    }
    return Promise.all(requests.map((r) => stateOf(r.id, key)));
  };

  app.get('/healthz', (c) => c.json({ ok: true, model: m.id }));
  const page = playgroundHtml(m, sizes);
  app.get('/', (c) => c.html(page));
  app.get('/openapi.json', (c) => c.json(openApiDocument(m, sizes, maxN)));

  // OpenAI Images API.
  app.post('/v1/images/generations', async (c) => {
    const b = await body(c);
    const key = c.get('key');
    const n = int(b, 'n', 1, maxN) ?? 1;
    const format = oneOf(b, 'response_format', ['b64_json', 'url'] as const) ?? 'b64_json';
    if (b.model !== undefined && b.model !== null && b.model !== m.id) {
      throw badRequest(
        'model',
        `'model' must be '${m.id}' (the model this deployment serves), got ${JSON.stringify(b.model)}`,
      );
    }
    await admit(key?.id, n);
    const base = seed(b) ?? randomInt(0, 2 ** 31);
    const requests = [];
    for (let i = 0; i < n; i++) requests.push(await accept(b, key, { seed: base + i }));
    const ids = requests.map((r) => r.id);
    const wait = Math.min(config.syncWaitMs, Number(c.req.query('wait_ms') ?? config.syncWaitMs));
    const states = await waitFor(requests, wait, key);
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

  const readClaim = async (path: string): Promise<IdempotencyClaim> => {
    const bytes = await deps.jobs.store.get(path);
    if (!bytes) throw new ApiError(503, 'server_error', 'idempotency record unreadable, retry');
    return JSON.parse(new TextDecoder().decode(bytes)) as IdempotencyClaim;
  };
  /** The claimed job's request, once its creator has written it (null: the creator is gone). */
  const waitForRequest = async (claim: IdempotencyClaim) => {
    const until = (claim.at ?? 0) + config.idempotencyWaitMs;
    for (;;) {
      const r = await deps.jobs.request(claim.jobId);
      if (r || now() >= until) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
  };

  // Async jobs. Idempotency-Key: the same key and body give the same job; another body is a 409.
  app.post('/v1/jobs', async (c) => {
    const b = await body(c);
    const key = c.get('key');
    const origin = new URL(c.req.url).origin;
    const idem = c.req.header('idempotency-key');
    const idemPath =
      idem && keys.idempotency(key?.id ?? 'anonymous', createHash('sha256').update(idem).digest('hex'));
    const bodyHash = createHash('sha256').update(JSON.stringify(b)).digest('hex');
    if (!idemPath) {
      await admit(key?.id, 1);
      const request = await accept(b, key, {}, bool(b, 'expand') ?? true);
      return c.json(publicJob(await stateOf(request.id, key), origin), 202);
    }
    // The key is claimed before the job exists (a conditional write: of two racing requests,
    // one wins), naming the job id it will have. A claim whose job never appeared (its request
    // died in between) is completed by the next request with the same key, under that id.
    // (Read first as well: the local s3rver ignores the condition, and a replay needs no write.)
    const claim: IdempotencyClaim = { bodyHash, jobId: newJobId(), at: now() };
    const won =
      !(await deps.jobs.store.exists(idemPath)) &&
      (await deps.jobs.store.putIfAbsent(idemPath, JSON.stringify(claim), 'application/json'));
    const held = won ? claim : await readClaim(idemPath);
    if (held.bodyHash !== bodyHash) {
      throw new ApiError(
        409,
        'invalid_request_error',
        'Idempotency-Key was already used with a different request body.',
        'Idempotency-Key',
        'idempotency_conflict',
      );
    }
    if (!won) {
      c.header('idempotent-replayed', 'true');
      const existing = await waitForRequest(held);
      if (existing) return c.json(publicJob(await stateOf(held.jobId, key), origin), 202);
    }
    try {
      await admit(key?.id, 1);
      await accept(b, key, {}, bool(b, 'expand') ?? true, held.jobId);
    } catch (e) {
      // Refused or invalid: nothing was accepted, so the key stays free for a corrected request.
      if (won) await deps.jobs.store.delete(idemPath).catch(() => {});
      throw e;
    }
    return c.json(publicJob(await stateOf(held.jobId, key), origin), 202);
  });

  // The caller's recent jobs, newest first (the playground's gallery). No listing across keys.
  app.get('/v1/jobs', async (c) => {
    const key = c.get('key');
    if (!key) return c.json({ object: 'list', data: [] });
    const limit = Math.min(50, Math.max(1, Number(c.req.query('limit') ?? 20) || 20));
    const listed = await deps.jobs.store.list(keys.ownerJobsPrefix(key.id));
    const ids = listed.slice(0, limit).map((k) => k.slice(k.lastIndexOf('-') + 1));
    const origin = new URL(c.req.url).origin;
    const states = await Promise.all(ids.map((id) => deps.jobs.state(id)));
    const data = states
      .filter((s): s is JobState => s !== null && s.request.owner === key.id)
      .map((s) => publicJob(s, origin));
    return c.json({ object: 'list', data });
  });

  // The caller's usage ledger, by day.
  app.get('/v1/usage', async (c) => {
    const key = c.get('key');
    const owner = key?.id ?? 'local';
    const listed = await deps.jobs.store.list(keys.ledgerPrefix(owner));
    const records = (await Promise.all(listed.map((k) => deps.jobs.store.get(k)))).flatMap((b) => {
      try {
        return b ? [JSON.parse(new TextDecoder().decode(b)) as UsageRecord] : [];
      } catch {
        return []; // being written: counted on the next read
      }
    });
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
    const data = [...days.entries()]
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
    return c.json({ object: 'list', key: key?.id ?? null, data });
  });

  app.get('/v1/jobs/:id', async (c) =>
    c.json(publicJob(await stateOf(c.req.param('id'), c.get('key')), new URL(c.req.url).origin)),
  );

  app.post('/v1/jobs/:id/cancel', async (c) => {
    const id = c.req.param('id');
    await stateOf(id, c.get('key'));
    const s = await deps.jobs.cancel(id);
    return c.json(publicJob(s!, new URL(c.req.url).origin));
  });

  app.get('/v1/jobs/:id/events', async (c) => {
    const id = c.req.param('id');
    const key = c.get('key');
    const { request } = await stateOf(id, key);
    const origin = new URL(c.req.url).origin;
    return streamSSE(c, async (stream) => {
      let last = '';
      let lastToken = '';
      let eventId = 0;
      while (!stream.aborted) {
        // The whole state is read only when the records or the progress changed.
        const token = await deps.jobs.changeToken(request);
        if (token !== lastToken) {
          lastToken = token;
          const s = await stateOf(id, key);
          const data = JSON.stringify(publicJob(s, origin));
          const fingerprint = JSON.stringify({ ...JSON.parse(data), result: null });
          if (fingerprint !== last) {
            last = fingerprint;
            await stream.writeSSE({
              event: TERMINAL.includes(s.status) ? s.status : 'progress',
              data,
              id: String(eventId++),
            });
          }
          if (TERMINAL.includes(s.status)) break;
        }
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
