/** One error type that knows its HTTP response, in OpenAI's error shape. */
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
