/**
 * Errors sorted by what should happen next (sqs-consumer's habit): a permanent failure
 * fails the job without retry; a transient one (throttling, 5xx: see isTransient in
 * @baton/aws) is retried; anything else is a bug, retried until the dead-letter queue.
 *
 * Any error whose `permanent` field is true is permanent: the pipeline's BadRequestError,
 * the safetensors reader's and the runtime's errors declare it, so no package needs to
 * import another's classes (or match their names) to sort them.
 */

export interface ErrorContext {
  jobId?: string;
  stage?: string;
  messageId?: string;
}

export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  readonly permanent = true;
  readonly jobId: string | undefined;
  readonly stage: string | undefined;

  constructor(
    message: string,
    readonly code = 'permanent',
    options: ErrorOptions & ErrorContext = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.jobId = options.jobId;
    this.stage = options.stage;
  }
}

export function isPermanent(e: unknown): e is Error & { permanent: true } {
  return e instanceof Error && (e as { permanent?: unknown }).permanent === true;
}

/** The code a failure is recorded with: the error's own, else its class name. */
export function errorCode(e: Error): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : e.name;
}
