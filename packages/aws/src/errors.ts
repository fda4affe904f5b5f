/** Whether an AWS call's failure is worth retrying (throttling, 5xx, network) or not. */

export class TransientError extends Error {
  override readonly name = 'TransientError';
}

const TRANSIENT_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'SlowDown',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'ServiceUnavailable',
  'InternalError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'TimeoutError',
]);

export function isTransient(e: unknown): boolean {
  if (e instanceof TransientError) return true;
  if (!(e instanceof Error)) return false;
  const meta = (e as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown; code?: string }) ?? {};
  const status = meta.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (meta.$retryable) return true;
  return TRANSIENT_CODES.has(e.name) || (meta.code !== undefined && TRANSIENT_CODES.has(meta.code));
}
