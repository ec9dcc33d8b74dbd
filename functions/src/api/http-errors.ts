import { type ErrorCode, isAppError } from '#core/errors.ts';
import type { ApiResponse, LogSink } from './api-types.ts';
import { authAndLimitHeaders } from './auth/auth-headers.ts';
import { jsonResponse } from './json-response.ts';

/**
 * The one table from error code to HTTP status (style guide §2.5). `expose: false` marks codes a
 * request cannot cause (worker and deployment failures) and dependency failures: their message may
 * name buckets, keys or internals, so the client gets a generic message and the log gets the rest.
 */
export const HTTP_ERRORS: Readonly<Record<ErrorCode, { status: number; expose: boolean }>> = {
  INVALID_ARGUMENT: { status: 400, expose: true },
  INVALID_INSTRUCTION: { status: 400, expose: true },
  ACCESS_DENIED: { status: 403, expose: true },
  NOT_FOUND: { status: 404, expose: true },
  UPLOAD_NOT_FOUND: { status: 404, expose: true },
  METHOD_NOT_ALLOWED: { status: 405, expose: true },
  CONFLICT: { status: 409, expose: true },
  UPLOAD_EXPIRED: { status: 410, expose: true },
  PAYLOAD_TOO_LARGE: { status: 413, expose: true },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, expose: true },
  UNSUPPORTED_IMAGE_FORMAT: { status: 415, expose: true },
  INVALID_IMAGE: { status: 422, expose: true },
  IMAGE_TOO_LARGE: { status: 422, expose: true },
  IMAGE_TOO_SMALL: { status: 422, expose: true },
  UNSUPPORTED_ASPECT_RATIO: { status: 422, expose: true },
  IMAGE_FETCH_FAILED: { status: 422, expose: true },
  UNAUTHENTICATED: { status: 401, expose: true },
  IDEMPOTENCY_KEY_REUSED: { status: 409, expose: true },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, expose: true },
  RATE_LIMITED: { status: 429, expose: true },
  CONCURRENCY_LIMITED: { status: 429, expose: true },
  QUOTA_EXCEEDED: { status: 429, expose: true },
  DEPENDENCY_UNAVAILABLE: { status: 503, expose: false },
  INTERNAL: { status: 500, expose: false },
  CANCELED: { status: 500, expose: false },
  INFERENCE_FAILED: { status: 500, expose: false },
  BUNDLE_INVALID: { status: 500, expose: false },
  BUNDLE_MISSING: { status: 500, expose: false },
  EXECUTION_PROVIDER_UNAVAILABLE: { status: 500, expose: false },
  CONFIG_INVALID: { status: 500, expose: false },
};

/** The one error body of the API. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: Readonly<Record<string, unknown>>;
    readonly requestId: string;
  };
}

export interface ErrorResponseOptions {
  readonly requestId: string;
  readonly retryAfterSeconds: number;
  readonly log: LogSink;
  /** Logged with the error (method, path). */
  readonly context?: Readonly<Record<string, unknown>>;
}

/**
 * Turns anything thrown while handling a request into the uniform error response. Known request
 * errors keep their code, message and details; a dependency failure becomes 503 with
 * `Retry-After`; anything else becomes 500 `INTERNAL`. The last two are logged with the cause and
 * the stack, which never reach the client.
 */
export function errorResponse(error: unknown, options: ErrorResponseOptions): ApiResponse {
  const { requestId, retryAfterSeconds, log, context } = options;
  const known = isAppError(error) ? HTTP_ERRORS[error.code] : undefined;
  if (isAppError(error) && known?.expose === true) {
    const body: ErrorBody = {
      error: {
        code: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
        requestId,
      },
    };
    const headers: Record<string, string> = {};
    const allow = error.details?.allow;
    if (error.code === 'METHOD_NOT_ALLOWED' && Array.isArray(allow)) {
      headers.allow = allow.join(', ');
    }
    Object.assign(headers, authAndLimitHeaders(error.code, error.details));
    return jsonResponse(known.status, body, headers);
  }
  if (isAppError(error) && error.code === 'DEPENDENCY_UNAVAILABLE') {
    log({
      level: 'warn',
      msg: 'dependency unavailable',
      requestId,
      ...context,
      error: describeError(error),
    });
    const body: ErrorBody = {
      error: {
        code: 'DEPENDENCY_UNAVAILABLE',
        message: `Expected the storage and queue services to answer but one is unavailable; nothing was stored for this request; retry after ${retryAfterSeconds} s`,
        details: { retryAfterSeconds },
        requestId,
      },
    };
    return jsonResponse(503, body, { 'retry-after': String(retryAfterSeconds) });
  }
  log({
    level: 'error',
    msg: 'unhandled error',
    requestId,
    ...context,
    error: describeError(error),
  });
  const body: ErrorBody = {
    error: {
      code: 'INTERNAL',
      message: `The server failed to handle the request; quote request id ${requestId} when reporting it`,
      requestId,
    },
  };
  return jsonResponse(500, body);
}

/** Name, code, message, stack and the cause chain, for the log only. */
export function describeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: String(error) };
  const out: Record<string, unknown> = {
    name: error.name,
    message: error.message,
    stack: error.stack,
  };
  if (isAppError(error)) {
    out.code = error.code;
    if (error.details !== undefined) out.details = error.details;
  }
  if (error.cause !== undefined && depth < 3) out.cause = describeError(error.cause, depth + 1);
  return out;
}
