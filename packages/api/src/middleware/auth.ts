/** Authentication: a Bearer key on every /v1 route (image links carry their own signature). */
import { createMiddleware } from 'hono/factory';
import { ApiError } from '../api-error.ts';
import type { Api, Env } from '../context.ts';

// Image and preview links carry their own signature.
const SIGNED_IMAGE = /^\/v1\/jobs\/[^/]+\/(image|previews\/\d+)$/;

export const auth = (api: Api) =>
  createMiddleware<Env>(async (c, next) => {
    if (!api.keys || (SIGNED_IMAGE.test(c.req.path) && c.req.query('signature'))) {
      c.set('key', null);
      return next();
    }
    const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    const key = m ? await api.keys.verify(m[1]!) : null;
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
