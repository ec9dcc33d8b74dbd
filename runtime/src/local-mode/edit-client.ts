import { DependencyError } from '#core/errors.ts';
import type { EditView } from '#functions/use-cases/edit-view.ts';
import { sniffFormat } from '#runtime/pipeline/image/sniff-format.ts';

/**
 * A small client of the edit API (docs/api.md) for `npm run try-edit`, the end-to-end tests and the
 * benchmark: submit, read, cancel, wait, download. It speaks plain HTTP with `fetch`, so it works
 * against the local server and API Gateway alike.
 */

/** The API answered with its error body (docs/api.md, Errors). */
export class EditApiError extends Error {
  readonly status: number;
  /** The API's stable code, e.g. `IMAGE_TOO_SMALL`. */
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(`${code} (HTTP ${status}): ${message}`);
    this.name = 'EditApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface EditSubmission {
  readonly image: Uint8Array;
  readonly instruction: string;
  readonly steps?: number;
  readonly seed?: number;
  readonly guidanceScale?: number;
  readonly imageGuidanceScale?: number;
  readonly output?: { readonly format: 'png' | 'jpeg' | 'webp'; readonly quality?: number };
  readonly lane?: 'interactive' | 'batch';
}

export interface Accepted {
  readonly id: string;
  readonly status: string;
  readonly createdAt: string;
  readonly links: { readonly self: string; readonly cancel: string };
}

export interface CancelAnswer {
  readonly id: string;
  readonly status: string;
  readonly canceled: 'immediately' | 'at-next-step';
}

/** Images up to this size go inline as a data URI; larger ones through `POST /v1/uploads`. */
export const INLINE_LIMIT_BYTES = 4 * 1024 ** 2;

/** Where the API is, and the key to call it with (`Authorization: Bearer`) when keys are required. */
export interface EditClientOptions {
  /** The base URL, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  readonly apiKey?: string | undefined;
}

const FINAL = new Set(['succeeded', 'failed', 'canceled', 'expired']);

export interface WaitOptions {
  /** @default 250 */
  readonly intervalMs?: number;
  /** @default 600_000 */
  readonly timeoutMs?: number;
  /** Called with every answer whose status or progress changed. */
  readonly onUpdate?: (view: EditView) => void;
  readonly signal?: AbortSignal;
}

/** One API, one key: `submit`, `get`, `cancel`, `wait` and `download` of edits. */
export class EditClient {
  readonly url: string;
  readonly #apiKey: string | undefined;

  constructor(options: EditClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
  }

  /**
   * Submits an edit. Small images travel inline as a data URI; larger ones are PUT to a presigned
   * upload URL first and referenced by their upload id.
   */
  async submit(submission: EditSubmission): Promise<Accepted> {
    const { image: bytes, ...fields } = submission;
    const sniffed = sniffFormat(bytes);
    const contentType = sniffed.accepted ? `image/${sniffed.format}` : undefined;
    let image: Readonly<Record<string, string>>;
    if (bytes.byteLength <= INLINE_LIMIT_BYTES) {
      const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
        'base64',
      );
      image = { dataUri: `data:${contentType ?? 'application/octet-stream'};base64,${base64}` };
    } else {
      image = { uploadId: await this.#upload(bytes, contentType) };
    }
    return this.#call<Accepted>('/v1/edits', this.#json({ image, ...fields }));
  }

  get(id: string): Promise<EditView> {
    return this.#call<EditView>(`/v1/edits/${encodeURIComponent(id)}`);
  }

  cancel(id: string): Promise<CancelAnswer> {
    return this.#call<CancelAnswer>(`/v1/edits/${encodeURIComponent(id)}/cancel`, {
      method: 'POST',
    });
  }

  /** Polls `GET /v1/edits/{id}` until the job is succeeded, failed, canceled or expired. */
  async wait(id: string, options: WaitOptions = {}): Promise<EditView> {
    const intervalMs = options.intervalMs ?? 250;
    const timeoutMs = options.timeoutMs ?? 600_000;
    const until = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const view = await this.get(id);
      const seen = `${view.status} ${view.progress?.step ?? '-'}`;
      if (seen !== last) options.onUpdate?.(view);
      last = seen;
      if (FINAL.has(view.status)) return view;
      if (options.signal?.aborted) throw options.signal.reason;
      if (Date.now() > until) {
        throw new DependencyError(
          `Expected job ${id} to finish within ${timeoutMs} ms but it is still ${view.status}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** Downloads an output through its presigned URL (no key: the URL is the authorization). */
  async download(url: string): Promise<Uint8Array> {
    const response = await fetch(url);
    if (!response.ok) {
      throw new DependencyError(
        `Expected the output download to answer 200 but it answered HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`,
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  async #upload(bytes: Uint8Array, contentType?: string): Promise<string> {
    const ticket = await this.#call<{
      uploadId: string;
      url: string;
      headers: Readonly<Record<string, string>>;
    }>(
      '/v1/uploads',
      this.#json({
        contentLength: bytes.byteLength,
        ...(contentType === undefined ? {} : { contentType }),
      }),
    );
    const put = await fetch(ticket.url, {
      method: 'PUT',
      headers: ticket.headers,
      body: new Uint8Array(bytes),
    });
    if (!put.ok) {
      throw new DependencyError(
        `Expected the upload PUT to succeed but it answered HTTP ${put.status}: ${(await put.text()).slice(0, 200)}`,
      );
    }
    return ticket.uploadId;
  }

  #json(body: unknown): RequestInit {
    return {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    };
  }

  /** JSON over HTTP; an error body becomes an EditApiError, a network failure a DependencyError. */
  async #call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const url = `${this.url}${path}`;
    const headers = new Headers(init.headers);
    if (this.#apiKey !== undefined) headers.set('authorization', `Bearer ${this.#apiKey}`);
    let response: Response;
    try {
      response = await fetch(url, { ...init, headers });
    } catch (error) {
      throw new DependencyError(
        `Expected the edit API at ${this.url} to answer but the request failed (${error instanceof Error ? error.message : String(error)}); is the server running (npm start)?`,
        { cause: error },
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch (error) {
      throw new DependencyError(
        `Expected a JSON answer from ${url} but received HTTP ${response.status} with ${JSON.stringify(text.slice(0, 80))}`,
        { cause: error },
      );
    }
    if (!response.ok) {
      const error = (body as { error?: { code?: string; message?: string; details?: unknown } })
        .error;
      throw new EditApiError(
        response.status,
        error?.code ?? 'UNKNOWN',
        error?.message ?? text.slice(0, 200),
        error?.details,
      );
    }
    return body as T;
  }
}
