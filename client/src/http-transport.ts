import {
  isApiErrorBody,
  parseRetryAfter,
  VibeApiError,
  VibeNetworkError,
} from './vibe-api-error.ts';

/** How the client retries answers that say "later" (429, 503). */
export interface RetryPolicy {
  /** Retries after the first try. @default 3 */
  readonly maxRetries?: number;
  /**
   * The longest wait before one retry. A `Retry-After` above it is not waited for: the error is
   * thrown at once so that the caller decides. @default 30000
   */
  readonly maxDelayMs?: number;
  /** First backoff without `Retry-After`, doubled per retry, with jitter. @default 500 */
  readonly baseDelayMs?: number;
}

export interface TransportOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:8787` or the API Gateway stage URL. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` to the API (never to presigned URLs). */
  readonly apiKey?: string | undefined;
  readonly retry?: RetryPolicy | undefined;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch | undefined;
  /** Waits between retries (tests pass a recorder). @default setTimeout */
  readonly sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** @default Math.random */
  readonly random?: (() => number) | undefined;
  /** Sent as `User-Agent`. */
  readonly userAgent?: string | undefined;
}

export interface ApiCall {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A path of the API (`/v1/edits`) or an absolute URL. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  /** JSON is sent as `application/json`; FormData as multipart; bytes as they are. */
  readonly json?: unknown;
  readonly body?: FormData | Uint8Array | Blob;
  /** Whether to send the API key: false for presigned URLs. @default true */
  readonly auth?: boolean;
  /**
   * Whether a request that got no answer may be sent again: true for reads and for creates that
   * carry an Idempotency-Key. 429 and 503 are always retried (the API did nothing).
   */
  readonly retryOnNetworkError?: boolean;
  readonly signal?: AbortSignal | undefined;
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Uint8Array;
}

const RETRY_STATUSES = new Set([429, 503]);

export const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The client's one way to the network: base URL, Bearer auth, bounded retries of 429 and 503
 * honoring `Retry-After`, and the API's error body turned into a VibeApiError.
 */
export class HttpTransport {
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #retry: Required<RetryPolicy>;
  readonly #userAgent: string | undefined;

  constructor(options: TransportOptions) {
    const base = new URL(options.baseUrl);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError(
        `Expected an http or https base URL but received ${JSON.stringify(options.baseUrl)}`,
      );
    }
    this.baseUrl = base.toString().replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#sleep = options.sleep ?? defaultSleep;
    this.#random = options.random ?? Math.random;
    this.#retry = {
      maxRetries: options.retry?.maxRetries ?? 3,
      maxDelayMs: options.retry?.maxDelayMs ?? 30_000,
      baseDelayMs: options.retry?.baseDelayMs ?? 500,
    };
    this.#userAgent = options.userAgent;
  }

  /** An API path (or absolute URL) with its query, resolved against the base URL. */
  url(path: string, query: ApiCall['query'] = {}): string {
    const url = /^https?:\/\//.test(path) ? new URL(path) : new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  /** Sends a call; resolves with a 2xx answer, throws VibeApiError or VibeNetworkError. */
  async send(call: ApiCall): Promise<ApiAnswer> {
    const url = this.url(call.path, call.query);
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.#fetch(url, this.#init(call));
      } catch (error) {
        if (call.signal?.aborted === true) throw call.signal.reason;
        if (call.retryOnNetworkError === true && attempt < this.#retry.maxRetries) {
          await this.#sleep(this.#backoffMs(attempt), call.signal);
          continue;
        }
        throw new VibeNetworkError(call.method, url, error);
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (response.ok) return { status: response.status, headers: response.headers, bytes };
      const error = toApiError(call.method, url, response, bytes);
      if (!RETRY_STATUSES.has(response.status) || attempt >= this.#retry.maxRetries) throw error;
      const delayMs =
        error.retryAfter === undefined ? this.#backoffMs(attempt) : error.retryAfter * 1000;
      if (delayMs > this.#retry.maxDelayMs) throw error;
      await this.#sleep(delayMs, call.signal);
    }
  }

  /** Sends a call and parses its JSON answer. */
  async json<T>(call: ApiCall): Promise<T> {
    const answer = await this.send(call);
    const text = new TextDecoder().decode(answer.bytes);
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new VibeNetworkError(
        call.method,
        this.url(call.path, call.query),
        new Error(`the answer is not JSON (${text.slice(0, 80)})`, { cause: error }),
      );
    }
  }

  #init(call: ApiCall): RequestInit {
    const headers: Record<string, string> = {};
    if (this.#userAgent !== undefined) headers['user-agent'] = this.#userAgent;
    if (call.auth !== false && this.#apiKey !== undefined) {
      headers.authorization = `Bearer ${this.#apiKey}`;
    }
    let body: RequestInit['body'];
    if (call.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.json);
    } else if (call.body !== undefined) {
      body = call.body instanceof Uint8Array ? new Blob([call.body]) : call.body;
    }
    for (const [name, value] of Object.entries(call.headers ?? {})) {
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
    return {
      method: call.method,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(call.signal === undefined ? {} : { signal: call.signal }),
    };
  }

  /** Full jitter over an exponential ceiling, never above the policy's cap. */
  #backoffMs(attempt: number): number {
    const ceiling = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** attempt);
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }
}

function toApiError(
  method: string,
  url: string,
  response: Response,
  bytes: Uint8Array,
): VibeApiError {
  const text = new TextDecoder().decode(bytes);
  let parsed: unknown;
  try {
    parsed = text.length === 0 ? undefined : JSON.parse(text);
  } catch (error) {
    // Not the API's JSON (a proxy's HTML page, an S3 XML error): described by status below.
    if (!(error instanceof SyntaxError)) throw error;
    parsed = undefined;
  }
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  const requestId = response.headers.get('x-request-id') ?? undefined;
  if (isApiErrorBody(parsed)) {
    return new VibeApiError({
      status: response.status,
      code: parsed.error.code,
      message: parsed.error.message,
      requestId: parsed.error.requestId ?? requestId,
      details: parsed.error.details,
      retryAfter,
      method,
      url,
    });
  }
  return new VibeApiError({
    status: response.status,
    code: `HTTP_${response.status}`,
    message: `Expected a successful answer from ${method} ${url} but received ${response.status} ${response.statusText}${text.length > 0 ? `: ${text.slice(0, 200)}` : ''}`,
    requestId,
    details: undefined,
    retryAfter,
    method,
    url,
  });
}
