import { IadR1Error } from '@iad-r1/errors';
/**
 * A model request that failed: the HTTP status (when there was a response), whether retrying could
 * help, and the start of the response body. Never carries credentials.
 */
export class ModelRequestError extends IadR1Error {
  override readonly name = 'ModelRequestError';
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly body: string | undefined;

  constructor(message: string, options: { status?: number; retryable: boolean; body?: string; cause?: unknown }) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.status = options.status;
    this.retryable = options.retryable;
    this.body = options.body;
  }
}

/** A response that arrived but does not have the shape the protocol promises. */
export class ModelResponseError extends IadR1Error {
  override readonly name = 'ModelResponseError';
  readonly body: string;

  constructor(message: string, body: string) {
    super(message);
    this.body = body;
  }
}
