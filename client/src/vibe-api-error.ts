/**
 * Errors the client throws. An answer of the API with an error status becomes a VibeApiError
 * carrying the API's stable `code` (never parse `message`); a request that got no answer becomes a
 * VibeNetworkError; a wait that ran out of time a VibeTimeoutError.
 */

/** The API's error body: `{ "error": { code, message, details?, requestId } }`. */
export interface ApiErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: Readonly<Record<string, unknown>>;
    readonly requestId: string;
  };
}

export interface VibeApiErrorInit {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly requestId: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** Seconds from the `Retry-After` header (429, 503), when the API sent one. */
  readonly retryAfter: number | undefined;
  readonly method: string;
  readonly url: string;
}

/** The API answered with an error status. */
export class VibeApiError extends Error {
  readonly status: number;
  /** The API's stable error code, e.g. `INVALID_ARGUMENT`, `RATE_LIMITED`. */
  readonly code: string;
  /** The `x-request-id` of the answer; quote it when reporting a problem. */
  readonly requestId: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** Seconds to wait before retrying, from `Retry-After`. */
  readonly retryAfter: number | undefined;
  readonly method: string;
  readonly url: string;

  constructor(init: VibeApiErrorInit) {
    super(init.message);
    this.name = 'VibeApiError';
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.details = init.details;
    this.retryAfter = init.retryAfter;
    this.method = init.method;
    this.url = init.url;
  }
}

/** The request got no HTTP answer (connection refused, reset, DNS failure, aborted). */
export class VibeNetworkError extends Error {
  readonly method: string;
  readonly url: string;

  constructor(method: string, url: string, cause: unknown) {
    super(
      `Expected an answer from ${method} ${url} but the request failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'VibeNetworkError';
    this.method = method;
    this.url = url;
  }
}

/** A wait helper ran out of time; `last` is the resource as last seen. */
export class VibeTimeoutError<T = unknown> extends Error {
  readonly last: T | undefined;
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number, last: T | undefined) {
    super(`Expected ${what} to finish within ${timeoutMs} ms but it had not`);
    this.name = 'VibeTimeoutError';
    this.timeoutMs = timeoutMs;
    this.last = last;
  }
}

/** An edit ended in a state other than `succeeded` where the caller needed its output. */
export class VibeJobError extends Error {
  readonly jobId: string;
  readonly status: string;
  /** The job's error code (e.g. `INFERENCE_FAILED`, `CANCELED`), when it has one. */
  readonly code: string | undefined;

  constructor(jobId: string, status: string, error: { code: string; message: string } | null) {
    super(
      `Expected edit ${jobId} to succeed but it ended "${status}"${error === null ? '' : `: ${error.code}: ${error.message}`}`,
    );
    this.name = 'VibeJobError';
    this.jobId = jobId;
    this.status = status;
    this.code = error?.code;
  }
}

/** Reads `Retry-After` (delta seconds or an HTTP date) as seconds from `now`. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** True for a value shaped like the API's error body. */
export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}
