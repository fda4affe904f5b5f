/**
 * A request that cannot become a job, named by its field: the API answers it with a 400, a
 * batch line with a line in the error file. It knows nothing of HTTP.
 */
export class InvalidRequest extends Error {
  override readonly name = 'InvalidRequest';

  constructor(
    /** The request's field at fault ("body" for the request as a whole). */
    readonly param: string,
    message: string,
    /** A stable code: invalid_value, prompt_not_understood, … */
    readonly code = 'invalid_value',
    options?: { cause?: unknown; gone?: boolean },
  ) {
    super(message, options);
    this.gone = options?.gone ?? false;
  }

  /** The request was fine once but what it needs is gone (expired latents): a 409, not a 400. */
  readonly gone: boolean;
}
