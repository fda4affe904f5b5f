/**
 * Errors sorted by what should happen next (sqs-consumer's habit):
 * bad input → 400 / job failed without retry; transient → retry; anything else is a bug.
 */

export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
  readonly status = 400;
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}
