import {
  type Batch,
  type BatchAccepted,
  type BatchCancelResult,
  type BatchItem,
  type BatchRequest,
  TERMINAL_BATCH_STATUSES,
} from './batch-types.ts';
import { type CreateOptions, createCall } from './create-call.ts';
import type { HttpTransport } from './http-transport.ts';
import { VibeJobError } from './vibe-api-error.ts';
import { pollUntil, type WaitOptions } from './wait-for.ts';

const path = (id: string) => `/v1/batches/${encodeURIComponent(id)}`;

/** The batch calls of the client (VibeClient delegates here). */
export class BatchApi {
  readonly #http: HttpTransport;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(http: HttpTransport, sleep: (ms: number, signal?: AbortSignal) => Promise<void>) {
    this.#http = http;
    this.#sleep = sleep;
  }

  /** `POST /v1/batches`: inline items or an uploaded JSONL manifest. */
  create(request: BatchRequest, options: CreateOptions = {}): Promise<BatchAccepted> {
    return this.#http.json(createCall('/v1/batches', { json: request }, options));
  }

  /** Uploads a JSONL manifest and creates the batch from it. */
  async createFromManifest(
    jsonl: Uint8Array,
    rest: Omit<BatchRequest, 'items' | 'manifest'> = {},
    options: CreateOptions = {},
  ): Promise<BatchAccepted> {
    const ticket = await this.#http.json<{
      uploadId: string;
      url: string;
      headers: Record<string, string>;
    }>(createCall('/v1/uploads', { json: { contentLength: jsonl.byteLength } }, options));
    await this.#http.send({
      method: 'PUT',
      path: ticket.url,
      headers: ticket.headers,
      body: jsonl,
      auth: false,
      retryOnNetworkError: true,
      signal: options.signal,
    });
    return this.create({ ...rest, manifest: { uploadId: ticket.uploadId } }, options);
  }

  /** `GET /v1/batches/{id}`: counts and one page of items (`limit` after `cursor`). */
  get(
    id: string,
    options: { cursor?: string; limit?: number; signal?: AbortSignal } = {},
  ): Promise<Batch> {
    return this.#http.json({
      method: 'GET',
      path: path(id),
      query: { cursor: options.cursor, limit: options.limit },
      retryOnNetworkError: true,
      signal: options.signal,
    });
  }

  /** `POST /v1/batches/{id}/cancel`: no new item starts; queued ones end, running ones stop. */
  cancel(id: string, options: { signal?: AbortSignal } = {}): Promise<BatchCancelResult> {
    return this.#http.json({
      method: 'POST',
      path: `${path(id)}/cancel`,
      retryOnNetworkError: true,
      signal: options.signal,
    });
  }

  /** Every item of a batch, in line order, page after page. */
  async *items(id: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<BatchItem> {
    let cursor: string | undefined;
    do {
      const page = await this.get(id, {
        ...(cursor === undefined ? {} : { cursor }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** Reads the batch until it is completed or canceled with its results written. */
  wait(id: string, options: WaitOptions<Batch> = {}): Promise<Batch> {
    return pollUntil<Batch>(
      {
        read: () =>
          this.get(
            id,
            options.signal === undefined ? { limit: 1 } : { limit: 1, signal: options.signal },
          ),
        done: (batch) => TERMINAL_BATCH_STATUSES.has(batch.status) && batch.results !== null,
        hold: false,
        maxHoldSeconds: 0,
        what: `batch ${id}`,
        sleep: this.#sleep,
        now: Date.now,
      },
      options,
    );
  }

  /** The results manifest (JSONL text, one line per item) of an ended batch. */
  async results(batch: Batch | string, options: { signal?: AbortSignal } = {}): Promise<string> {
    const current = typeof batch === 'string' ? await this.get(batch, options) : batch;
    if (current.results === null) {
      throw new VibeJobError(current.id, current.status, {
        code: 'NOT_READY',
        message: 'the results manifest is written once every item has ended',
      });
    }
    const answer = await this.#http.send({
      method: 'GET',
      path: new URL(current.results.url, `${this.#http.baseUrl}/`).toString(),
      auth: false,
      retryOnNetworkError: true,
      signal: options.signal,
    });
    return new TextDecoder().decode(answer.bytes);
  }
}
