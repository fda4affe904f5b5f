/**
 * One error handler: an ApiError answers as itself; a request the validator refused, in
 * OpenAI's shape naming the field; a storage hiccup is a 503 to retry; anything else is a
 * logged 500. Every error keeps its cause.
 */
import { isTransient } from '@baton/aws';
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';
import { ApiError, asApiError, badRequest } from '../api-error.ts';

/** The zod-openapi hook: the first issue, as a 400 naming its field ("body" for the body itself). */
export function validationHook(result: { success: boolean; error?: unknown }, c: Context): void {
  if (result.success) return;
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([\w.-]+\+)?json/i.test(type)) {
    throw badRequest('body', "the request body must be JSON, sent with 'content-type: application/json'");
  }
  const issue = (result.error as ZodError).issues[0];
  const param = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
  const message =
    param === 'body' ? 'the request body must be a JSON object' : (issue?.message ?? `'${param}' is invalid`);
  throw badRequest(param, message, result.error);
}

export const onError: ErrorHandler = (err, c) => {
  const known = asApiError(err);
  if (known) {
    if (known.retryAfter !== undefined) c.header('retry-after', String(known.retryAfter));
    return c.json(known.body(), known.status);
  }
  // Hono's and the validator's own refusals: a body that does not parse, one not sent as JSON.
  if (err instanceof HTTPException && err.status === 400) {
    const e = badRequest('body', 'the request body is not valid JSON', err);
    return c.json(e.body(), 400);
  }
  if (err instanceof HTTPException && err.status === 415) {
    const e = new ApiError(
      415,
      'invalid_request_error',
      "the request body must be JSON, sent with 'content-type: application/json'",
      'body',
      'unsupported_media_type',
      { cause: err },
    );
    return c.json(e.body(), 415);
  }
  if (isTransient(err) || /aborted|socket hang up/i.test(err.message)) {
    c.header('retry-after', '1');
    const body = {
      message: 'storage is briefly unavailable; retry',
      type: 'server_error',
      param: null,
      code: 'unavailable',
    };
    return c.json({ error: body }, 503);
  }
  console.error(JSON.stringify({ event: 'api.error', error: err.stack ?? String(err) }));
  return c.json({ error: { message: 'internal error', type: 'server_error', param: null, code: null } }, 500);
};
