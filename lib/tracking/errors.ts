/**
 * Errors of the tracking area. `TrackingError` is a caller mistake or a server refusal (do not retry);
 * `TrackingConnectionError` means the server could not be reached (after retries) — runs spill to the
 * local store on it instead of failing the training.
 */
export class TrackingError extends Error {
  override name = 'TrackingError';
}

/** The server answered with an error (JSON `{error_code, message}` or plain text). */
export class MlflowApiError extends TrackingError {
  override name = 'MlflowApiError';
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly errorCode: string,
    readonly endpoint: string,
  ) {
    super(message);
  }
}

/** Network failure or a 429/5xx that persisted through every retry. */
export class TrackingConnectionError extends TrackingError {
  override name = 'TrackingConnectionError';
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
  }
}

/** A param already has another value in this run (MLflow params are immutable). */
export class ParamConflictError extends TrackingError {
  override name = 'ParamConflictError';
  constructor(readonly runId: string, readonly key: string, readonly oldValue: string | undefined, readonly newValue: string) {
    super(
      `param '${key}' of run ${runId} is already ${oldValue === undefined ? 'set' : JSON.stringify(oldValue)}; ` +
        `cannot change it to ${JSON.stringify(newValue)} (MLflow params are immutable: start a new or child run per configuration)`,
    );
  }
}
