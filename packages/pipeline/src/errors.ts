/**
 * Errors sorted by what should happen next (sqs-consumer's habit):
 * bad input → 400 / job failed without retry; transient → retry; anything else is a bug.
 */

export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
  readonly status = 400;
  /** Retrying cannot help: the job fails (see isPermanent in @baton/jobs). */
  readonly permanent = true;
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
