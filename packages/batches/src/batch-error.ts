/** Why a batch cannot be made: its input (named by param) or this deployment. No HTTP in it. */
export type BatchErrorCode = 'invalid_input' | 'not_found' | 'not_configured';

export class BatchError extends Error {
  override readonly name = 'BatchError';

  constructor(
    readonly code: BatchErrorCode,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}
