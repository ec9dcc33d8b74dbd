/**
 * The one error family of the project. Every error that can reach a caller or steer a retry is an
 * `AppError` with a stable `code` (never parse messages) and a `retryable` flag.
 *
 * Messages say what was expected, what arrived and what is allowed, e.g.
 * `Expected "steps" to be an integer from 1 to 100 but received 500`.
 */
export type ErrorCode =
  // Input (HTTP 4xx, permanent for jobs)
  | 'INVALID_ARGUMENT'
  | 'INVALID_IMAGE'
  | 'UNSUPPORTED_IMAGE_FORMAT'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_TOO_SMALL'
  | 'UNSUPPORTED_ASPECT_RATIO'
  | 'INVALID_INSTRUCTION'
  | 'NOT_FOUND'
  | 'CONFLICT'
  // Model bundle (permanent for the worker: refuse to start)
  | 'BUNDLE_INVALID'
  | 'BUNDLE_MISSING'
  | 'EXECUTION_PROVIDER_UNAVAILABLE'
  // Runtime
  | 'CANCELED'
  | 'INFERENCE_FAILED'
  | 'DEPENDENCY_UNAVAILABLE'
  | 'INTERNAL'
  // Deployment (refuse to start)
  | 'CONFIG_INVALID'
  // HTTP API (functions/): refusals of a request as a whole, see RequestError
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'METHOD_NOT_ALLOWED'
  | 'UPLOAD_NOT_FOUND'
  | 'UPLOAD_EXPIRED'
  | 'IMAGE_FETCH_FAILED'
  | 'ACCESS_DENIED'
  // API keys, limits and idempotency (functions/src/api/auth, idempotency): see LimitError
  | 'UNAUTHENTICATED'
  | 'RATE_LIMITED'
  | 'CONCURRENCY_LIMITED'
  | 'QUOTA_EXCEEDED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_IN_PROGRESS';

export interface AppErrorOptions extends ErrorOptions {
  /** Structured detail for logs and API bodies (field names, expected and received values). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
  /** True when running the same input again may succeed. */
  abstract readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(message: string, options?: AppErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.details = options?.details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Bad input from a caller: a request field, an image, an instruction. Never retried. */
export class ValidationError extends AppError {
  readonly retryable = false;
  readonly code: ErrorCode;
  constructor(
    code: Extract<
      ErrorCode,
      | 'INVALID_ARGUMENT'
      | 'INVALID_IMAGE'
      | 'UNSUPPORTED_IMAGE_FORMAT'
      | 'IMAGE_TOO_LARGE'
      | 'IMAGE_TOO_SMALL'
      | 'UNSUPPORTED_ASPECT_RATIO'
      | 'INVALID_INSTRUCTION'
    >,
    message: string,
    options?: AppErrorOptions,
  ) {
    super(message, options);
    this.code = code;
  }
}

export class NotFoundError extends AppError {
  readonly code = 'NOT_FOUND' as const;
  readonly retryable = false;
}

export class ConflictError extends AppError {
  readonly code = 'CONFLICT' as const;
  readonly retryable = false;
}

/**
 * The model bundle does not match what the pipeline expects. The message names the file, the field,
 * what was expected and what was found.
 */
export class BundleError extends AppError {
  readonly retryable = false;
  readonly code: Extract<ErrorCode, 'BUNDLE_INVALID' | 'BUNDLE_MISSING'>;
  constructor(
    code: Extract<ErrorCode, 'BUNDLE_INVALID' | 'BUNDLE_MISSING'>,
    message: string,
    options?: AppErrorOptions,
  ) {
    super(message, options);
    this.code = code;
  }
}

/** The configured execution provider (e.g. CUDA) cannot be loaded. Never fall back silently. */
export class ExecutionProviderError extends AppError {
  readonly code = 'EXECUTION_PROVIDER_UNAVAILABLE' as const;
  readonly retryable = false;
}

/** The job was canceled between denoising steps. */
export class CanceledError extends AppError {
  readonly code = 'CANCELED' as const;
  readonly retryable = false;
}

/** A graph run failed; carries the graph name and the feeds' dtypes and dims in `details`. */
export class InferenceError extends AppError {
  readonly code = 'INFERENCE_FAILED' as const;
  readonly retryable: boolean;
  constructor(message: string, options?: AppErrorOptions & { retryable?: boolean }) {
    super(message, options);
    this.retryable = options?.retryable ?? false;
  }
}

/** A store, queue or network dependency failed; retry later. */
export class DependencyError extends AppError {
  readonly code = 'DEPENDENCY_UNAVAILABLE' as const;
  readonly retryable = true;
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Formats a received value for an error message without dumping large payloads. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    return value.length > 60 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a value of type ${typeof value}`;
}

/**
 * The process configuration (environment variables) is missing or invalid. Thrown once at start-up
 * with every problem listed in the message and in `details.issues`; never retried.
 */
export class ConfigError extends AppError {
  readonly code = 'CONFIG_INVALID' as const;
  readonly retryable = false;
}

/**
 * A request refused by the HTTP API before or while its content is validated: a body over the
 * limit, a media type it does not take, a method a route does not allow, an upload id that was
 * never used or has expired, an image URL that could not be fetched, a signed local blob URL that
 * does not verify. Never retried as is (the caller must change the request). The HTTP status of
 * each code is in functions/src/api/http-errors.ts.
 */
export class RequestError extends AppError {
  readonly retryable = false;
  readonly code: Extract<
    ErrorCode,
    | 'PAYLOAD_TOO_LARGE'
    | 'UNSUPPORTED_MEDIA_TYPE'
    | 'METHOD_NOT_ALLOWED'
    | 'UPLOAD_NOT_FOUND'
    | 'UPLOAD_EXPIRED'
    | 'IMAGE_FETCH_FAILED'
    | 'ACCESS_DENIED'
    | 'UNAUTHENTICATED'
    | 'IDEMPOTENCY_KEY_REUSED'
    | 'IDEMPOTENCY_IN_PROGRESS'
  >;
  constructor(code: RequestError['code'], message: string, options?: AppErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/**
 * A request refused by a limit of its API key: its rate (token bucket), its concurrency (queued and
 * running jobs) or its daily quota (UTC). Retryable after `retryAfterSeconds`, which the API sends
 * as `Retry-After` (also in `details.retryAfterSeconds`).
 */
export class LimitError extends AppError {
  readonly retryable = true;
  readonly code: Extract<ErrorCode, 'RATE_LIMITED' | 'CONCURRENCY_LIMITED' | 'QUOTA_EXCEEDED'>;
  readonly retryAfterSeconds: number;
  constructor(
    code: LimitError['code'],
    message: string,
    options: AppErrorOptions & { readonly retryAfterSeconds: number },
  ) {
    super(message, {
      ...options,
      details: { ...options.details, retryAfterSeconds: options.retryAfterSeconds },
    });
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
