/** One error type that knows its HTTP response, in OpenAI's error shape. */
import { BatchError } from '@baton/batches';
import { InvalidRequest } from '@baton/service';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export type ErrorType = 'invalid_request_error' | 'not_found_error' | 'server_error' | 'rate_limit_error';

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly type: ErrorType,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    options?: { cause?: unknown; retryAfter?: number },
  ) {
    super(status, { message, ...(options?.cause !== undefined && { cause: options.cause }) });
    this.retryAfter = options?.retryAfter;
  }

  /** Seconds, sent as Retry-After (429). */
  readonly retryAfter: number | undefined;

  body() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const badRequest = (param: string, message: string, cause?: unknown) =>
  new ApiError(400, 'invalid_request_error', message, param, 'invalid_value', { cause });

export const notFound = (what: string) =>
  new ApiError(404, 'not_found_error', `${what} not found`, null, 'not_found');

/** The errors of the packages below the API (a request that cannot be a job, a batch that cannot be made), as HTTP. */
export function asApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof InvalidRequest)
    return new ApiError(err.gone ? 409 : 400, 'invalid_request_error', err.message, err.param, err.code, {
      cause: err,
    });
  if (err instanceof BatchError) {
    if (err.code === 'not_configured')
      return new ApiError(501, 'server_error', err.message, err.param, err.code, { cause: err });
    if (err.code === 'not_found')
      return new ApiError(404, 'not_found_error', err.message, err.param, err.code);
    return new ApiError(400, 'invalid_request_error', err.message, err.param, 'invalid_value', {
      cause: err,
    });
  }
  return undefined;
}
