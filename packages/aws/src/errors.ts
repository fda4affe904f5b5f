/**
 * Whether an AWS call's failure is worth retrying (throttling, 5xx, a dropped or timed-out
 * connection) or not: the SDK's own classification, the one its retry strategy uses.
 */
import { isServerError, isThrottlingError, isTransientError } from '@smithy/service-error-classification';

export class TransientError extends Error {
  override readonly name = 'TransientError';
}

type SdkError = Parameters<typeof isTransientError>[0];

export function isTransient(e: unknown): boolean {
  if (e instanceof TransientError) return true;
  if (!(e instanceof Error)) return false;
  const err = e as unknown as SdkError;
  return isTransientError(err) || isThrottlingError(err) || isServerError(err) || e.name === 'TimeoutError';
}
