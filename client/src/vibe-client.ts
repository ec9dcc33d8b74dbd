import { AdminApi } from './admin-api.ts';
import {
  type CancelResult,
  type Edit,
  type EditOptions,
  type EditRequest,
  type Health,
  type ImageFile,
  type SubmittedEdit,
  TERMINAL_EDIT_STATUSES,
  type UploadRequest,
  type UploadTicket,
} from './api-types.ts';
import { BatchApi } from './batch-api.ts';
import { type CreateOptions, createCall } from './create-call.ts';
import { editBody, sniffImageType } from './edit-body.ts';
import { defaultSleep, HttpTransport, type TransportOptions } from './http-transport.ts';
import { VibeJobError } from './vibe-api-error.ts';
import { pollUntil, type WaitOptions } from './wait-for.ts';
import type { WebhookDeliveries, WebhookDelivery } from './webhooks.ts';

export type { CreateOptions } from './create-call.ts';

export interface VibeClientOptions extends TransportOptions {
  /**
   * The longest `Prefer: wait=N` the client asks for; the API caps it too (API Gateway ends a
   * request after 29 s). @default 25
   */
  readonly maxPreferWaitSeconds?: number;
  /** Images up to this size go inline (multipart); larger ones through an upload. @default 4 MiB */
  readonly maxInlineBytes?: number;
}

export interface SubmitOptions extends CreateOptions {
  /** `Prefer: wait=N`: the API holds the answer up to N seconds for the edit to finish. */
  readonly wait?: number;
}

export interface WaitForEditOptions extends WaitOptions<Edit> {
  /**
   * Hold each read on the server (`Prefer: wait`) instead of polling: fewer requests, but
   * `onProgress` then sees fewer intermediate states. @default false
   */
  readonly usePreferWait?: boolean;
}

export interface DownloadedImage {
  readonly bytes: Uint8Array;
  readonly contentType: string;
}

export interface EditImageResult {
  readonly edit: Edit;
  readonly image: DownloadedImage;
}

/**
 * A typed client of the VIBE API: uploads, edits (submit by upload, URL, data URI or file; get;
 * cancel; wait; download), batches, webhook deliveries and health. Errors are VibeApiError with the
 * API's stable code; 429 and 503 are retried within bounds honoring `Retry-After`; every create
 * carries an Idempotency-Key, so a retried create never runs twice.
 */
export class VibeClient {
  protected readonly http: HttpTransport;
  protected readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #maxPreferWait: number;
  readonly #maxInlineBytes: number;
  /** Batches: create (inline or from a JSONL manifest), get, items, cancel, wait, results. */
  readonly batches: BatchApi;
  /** Key administration, for admin keys. */
  readonly admin: AdminApi;

  constructor(options: VibeClientOptions) {
    this.http = new HttpTransport(options);
    this.sleep = options.sleep ?? defaultSleep;
    this.#maxPreferWait = options.maxPreferWaitSeconds ?? 25;
    this.#maxInlineBytes = options.maxInlineBytes ?? 4 * 1024 * 1024;
    this.batches = new BatchApi(this.http, this.sleep);
    this.admin = new AdminApi(this.http);
  }

  /** The API's base URL, without a trailing slash. */
  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** `GET /healthz`. */
  health(options: { signal?: AbortSignal } = {}): Promise<Health> {
    return this.http.json({ method: 'GET', path: '/healthz', signal: options.signal });
  }

  /** `POST /v1/uploads`: a presigned PUT for an image too large to send inline. */
  createUpload(request: UploadRequest = {}, options: CreateOptions = {}): Promise<UploadTicket> {
    return this.http.json(createCall('/v1/uploads', { json: request }, options));
  }

  /** PUTs the bytes to an upload ticket's URL (no API key: the URL is the credential). */
  async putUpload(
    ticket: UploadTicket,
    bytes: Uint8Array,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.http.send({
      method: 'PUT',
      path: ticket.url,
      headers: ticket.headers,
      body: bytes,
      auth: false,
      retryOnNetworkError: true,
      signal: options.signal,
    });
  }

  /** Creates an upload bound to the bytes' type and size, and PUTs them. */
  async upload(bytes: Uint8Array, options: CreateOptions = {}): Promise<UploadTicket> {
    const type = sniffImageType(bytes);
    const ticket = await this.createUpload(
      {
        contentLength: bytes.byteLength,
        ...(type === 'application/octet-stream'
          ? {}
          : { contentType: type as UploadRequest['contentType'] & string }),
      },
      options,
    );
    await this.putUpload(
      ticket,
      bytes,
      options.signal === undefined ? {} : { signal: options.signal },
    );
    return ticket;
  }

  /**
   * `POST /v1/edits`. Resolves with the accepted edit (`id`, `status`, `links`); with `wait`, the
   * API may hold the answer and return the edit as it stands when the wait ends.
   */
  async submitEdit(request: EditRequest, options: SubmitOptions = {}): Promise<SubmittedEdit> {
    // A webhook goes in JSON bodies only: a file is uploaded first and named by its upload id.
    const sendable =
      'file' in request.image && request.webhook !== undefined
        ? { ...request, image: { uploadId: await this.#uploadFile(request.image.file, options) } }
        : request;
    const body = editBody(sendable);
    const headers: Record<string, string> = {};
    if (options.wait !== undefined) {
      headers.prefer = `wait=${Math.max(1, Math.min(this.#maxPreferWait, Math.floor(options.wait)))}`;
    }
    return this.http.json(
      createCall(
        '/v1/edits',
        'json' in body ? { json: body.json, headers } : { body: body.form, headers },
        options,
      ),
    );
  }

  async #uploadFile(file: ImageFile, options: { signal?: AbortSignal }): Promise<string> {
    const bytes =
      file.bytes instanceof Blob ? new Uint8Array(await file.bytes.arrayBuffer()) : file.bytes;
    const ticket = await this.upload(
      bytes,
      options.signal === undefined ? {} : { signal: options.signal },
    );
    return ticket.uploadId;
  }

  /** `GET /v1/edits/{id}/webhook-deliveries`: every delivery of the edit's webhook, newest first. */
  listWebhookDeliveries(
    id: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<WebhookDeliveries> {
    return this.http.json({
      method: 'GET',
      path: `/v1/edits/${encodeURIComponent(id)}/webhook-deliveries`,
      retryOnNetworkError: true,
      signal: options.signal,
    });
  }

  /** Delivers an event again (a new round with the full retry schedule, the same webhook-id). */
  redeliverWebhook(
    id: string,
    deliveryId: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<WebhookDelivery> {
    return this.http.json({
      method: 'POST',
      path: `/v1/edits/${encodeURIComponent(id)}/webhook-deliveries/${encodeURIComponent(deliveryId)}/redeliver`,
      retryOnNetworkError: true,
      signal: options.signal,
    });
  }

  /** `GET /v1/edits/{id}`; `waitSeconds` asks the API to hold the read until the edit ends. */
  getEdit(id: string, options: { waitSeconds?: number; signal?: AbortSignal } = {}): Promise<Edit> {
    return this.http.json({
      method: 'GET',
      path: `/v1/edits/${encodeURIComponent(id)}`,
      headers: {
        prefer: options.waitSeconds === undefined ? undefined : `wait=${options.waitSeconds}`,
      },
      retryOnNetworkError: true,
      signal: options.signal,
    });
  }

  /** `POST /v1/edits/{id}/cancel`. A finished edit answers 409 CONFLICT. */
  cancelEdit(id: string, options: { signal?: AbortSignal } = {}): Promise<CancelResult> {
    return this.http.json({
      method: 'POST',
      path: `/v1/edits/${encodeURIComponent(id)}/cancel`,
      retryOnNetworkError: true,
      signal: options.signal,
    });
  }

  /** Reads the edit until it ends (any terminal status) and resolves with it. */
  waitForEdit(id: string, options: WaitForEditOptions = {}): Promise<Edit> {
    return pollUntil<Edit>(
      {
        read: (hold) =>
          this.getEdit(id, {
            ...(hold === undefined ? {} : { waitSeconds: hold }),
            ...(options.signal === undefined ? {} : { signal: options.signal }),
          }),
        done: (edit) => TERMINAL_EDIT_STATUSES.has(edit.status),
        hold: options.usePreferWait === true,
        maxHoldSeconds: this.#maxPreferWait,
        what: `edit ${id}`,
        sleep: this.sleep,
        now: Date.now,
      },
      options,
    );
  }

  /** Downloads a succeeded edit's output through its presigned URL (a fresh one is read first). */
  async downloadOutput(
    edit: Edit | string,
    options: { signal?: AbortSignal } = {},
  ): Promise<DownloadedImage> {
    const current = typeof edit === 'string' ? await this.getEdit(edit, options) : edit;
    if (current.status !== 'succeeded' || current.output === null) {
      throw new VibeJobError(current.id, current.status, current.error);
    }
    const answer = await this.http.send({
      method: 'GET',
      path: new URL(current.output.url, `${this.baseUrl}/`).toString(),
      auth: false,
      retryOnNetworkError: true,
      signal: options.signal,
    });
    return {
      bytes: answer.bytes,
      contentType: answer.headers.get('content-type') ?? `image/${current.output.format}`,
    };
  }

  /**
   * The whole round trip: send the image (inline up to `maxInlineBytes`, else through an upload),
   * wait for the edit and download its output.
   * @throws VibeJobError when the edit ends other than `succeeded`.
   */
  async editImage(
    image: Uint8Array,
    instruction: string,
    options: EditOptions & WaitForEditOptions & CreateOptions = {},
  ): Promise<EditImageResult> {
    const {
      timeoutMs,
      pollIntervalMs,
      onProgress,
      usePreferWait,
      idempotencyKey,
      signal,
      ...fields
    } = options;
    const source =
      image.byteLength <= this.#maxInlineBytes
        ? { file: { bytes: image } }
        : { uploadId: (await this.upload(image, signal === undefined ? {} : { signal })).uploadId };
    const submitted = await this.submitEdit(
      { image: source, instruction, ...fields },
      {
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        ...(signal === undefined ? {} : { signal }),
      },
    );
    const edit = await this.waitForEdit(submitted.id, {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
      ...(onProgress === undefined ? {} : { onProgress }),
      ...(usePreferWait === undefined ? {} : { usePreferWait }),
      ...(signal === undefined ? {} : { signal }),
    });
    const downloaded = await this.downloadOutput(edit, signal === undefined ? {} : { signal });
    return { edit, image: downloaded };
  }
}
