/**
 * The edge API: a Hono app that knows nothing of Lambda or Node servers. The local stack
 * serves it with @hono/node-server, AWS behind a function URL (hono/aws-lambda). Routes live
 * in routes/, one module each, with their request schemas (schemas.ts) that also make the
 * OpenAPI document at /openapi.json.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { ApiError, notFound } from './api-error.ts';
import { type ApiDeps, type Env, resolveApi } from './context.ts';
import { rateLimit, shedLoad } from './middleware/admission.ts';
import { auth } from './middleware/auth.ts';
import { onError, validationHook } from './middleware/errors.ts';
import { playgroundHtml } from './playground.ts';
import { batchesRoutes } from './routes/batches.ts';
import { filesRoutes } from './routes/files.ts';
import { imagesRoutes } from './routes/images.ts';
import { jobsRoutes } from './routes/jobs.ts';
import { modelsRoutes } from './routes/models.ts';
import { previewRoutes } from './routes/previews.ts';
import { upscaleRoutes } from './routes/upscale.ts';
import { usageRoutes } from './routes/usage.ts';

export type { ApiConfig, ApiDeps } from './context.ts';

/** The largest request body the API reads (bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

export function createApp(deps: ApiDeps) {
  const api = resolveApi(deps);
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook });
  app.onError(onError);
  app.notFound((c) => c.json(notFound(`route ${c.req.method} ${c.req.path}`).body(), 404));
  // Bodies are refused before they are read whole: a request body is a few hundred bytes, an
  // uploaded batch file at most the upload limit.
  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(
          413,
          'invalid_request_error',
          `the request body is over ${maxSize} bytes`,
          'body',
          'body_too_large',
        );
      },
    });
  const small = limit(MAX_BODY_BYTES);
  const upload = limit(api.batching.limits.maxUploadBytes + 64 * 1024);
  const uploads = new Set(['/v1/files', '/v1/images/upscale']);
  app.use('/v1/*', (c, next) => (uploads.has(c.req.path) ? upload(c, next) : small(c, next)));
  app.use('/v1/*', auth(api));
  app.use('/v1/images/generations', rateLimit(api));
  app.use('/v1/images/upscale', rateLimit(api));
  app.use('/v1/jobs', rateLimit(api));
  app.use('/v1/jobs/:id/continue', rateLimit(api));
  app.use('/v1/batches', rateLimit(api));
  // Past the backlog bound, new work is refused at once (after auth and rate: per key first).
  const shed = shedLoad(api);
  app.use('/v1/images/generations', shed);
  app.use('/v1/images/upscale', shed);
  app.use('/v1/jobs', shed);
  app.use('/v1/jobs/:id/continue', shed);
  app.use('/v1/files', rateLimit(api));

  const vocabulary = api.domain.vocabulary?.text(api.schemas.sizes);
  const page = playgroundHtml(api.manifest, api.schemas.sizes, deps.playgroundKey, vocabulary);
  app.get('/', (c) => c.html(page));
  app.get('/healthz', (c) => c.json({ ok: true, model: api.manifest.id }));
  app.route('/', imagesRoutes(api));
  app.route('/', upscaleRoutes(api));
  app.route('/', jobsRoutes(api));
  app.route('/', usageRoutes(api));
  app.route('/', modelsRoutes(api));
  app.route('/', filesRoutes(api));
  app.route('/', batchesRoutes(api));
  app.route('/', previewRoutes(api));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Baton',
      version: '1',
      description: `Relay-diffusion text-to-image, OpenAI-compatible. Model: ${api.manifest.id}.`,
    },
    security: [{ bearer: [] }],
  });
  return app;
}
