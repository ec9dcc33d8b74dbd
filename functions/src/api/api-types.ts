import type { IdempotencyStore } from '#core/idempotency/idempotency-store.ts';
import type { JobMessage } from '#core/jobs/job-message.ts';
import type { Lane } from '#core/jobs/job-record.ts';
import type { KeyGateway } from '#core/keys/key-gateway.ts';
import type { KeyStore } from '#core/keys/key-store.ts';
import type { DocumentStore } from '#core/limits/document-store.ts';
import type { OutboundUrlPolicy } from '#core/net/outbound-url.ts';
import type { BlobStore, EventQueue, JobQueue, JobStore } from '#core/ports.ts';
import type { WebhookDeliveryLog } from '#core/webhooks/delivery-log.ts';
import type { FetchImage } from '../fetch/image-fetcher.ts';
import type { ApiConfigInput } from './api-config.ts';
import type { BatchPorts } from './batches/batch-context.ts';
import type { QueueDepth } from './waiting/queue-position.ts';

/**
 * One HTTP request as the app sees it, independent of where it came from (API Gateway payload 2.0
 * or node:http). Adapters fill it; the app never touches a socket or an event.
 */
export interface ApiRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/v1/edits/job_1`. */
  readonly path: string;
  /** Header names in lower case; a repeated header is joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** Query parameters; a repeated key is joined with `,` (as API Gateway does). */
  readonly query: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /**
   * Set by an adapter that stopped reading the body because it passed `app.maxBodyBytes`; `body`
   * then holds only what was read. The app answers 413.
   */
  readonly bodyExceeded?: boolean;
  /** The platform's request id (API Gateway's), when there is one; otherwise the app makes one. */
  readonly requestId?: string;
  /**
   * The caller as the platform identified it (API Gateway's API key id). It owns the jobs it
   * submits while API keys are disabled; with keys required, the bearer key's id owns them.
   */
  readonly principal?: string;
}

/** The app's answer. Every body is JSON text. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The HTTP API: a plain function from request to response that never throws. */
export interface ApiApp {
  (request: ApiRequest): Promise<ApiResponse>;
  /** The largest request body the app reads; adapters may stop reading (and flag it) above this. */
  readonly maxBodyBytes: number;
  /** Builds the uniform error response for a failure an adapter met outside the app. */
  errorResponse(error: unknown, requestId?: string): ApiResponse;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Where new ids come from (tests pass deterministic ones). */
export interface IdSource {
  /** A job id matching JOB_ID_PATTERN, unique per call. */
  jobId(): string;
  /** The random part of an upload id: 24 to 32 lowercase hex digits. */
  uploadToken(): string;
  requestId(): string;
}

export type LogLevel = 'info' | 'warn' | 'error';

/** One structured log line. `error` carries name, message, stack and cause for operators only. */
export interface LogEntry {
  readonly level: LogLevel;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export type LogSink = (entry: LogEntry) => void;

/**
 * What the app needs. Ports only: the composition root (the Lambda entry, the local server's
 * caller) chooses the adapters.
 */
export interface ApiDeps {
  readonly blobs: BlobStore;
  readonly jobs: JobStore;
  /** One queue per lane. */
  readonly queues: Readonly<Record<Lane, JobQueue<JobMessage>>>;
  /** Job state changes made by the API (queued, canceled) are published here when given. */
  readonly events?: EventQueue | undefined;
  /** Limits, TTLs and defaults; anything left out takes the documented default (api-config.ts). */
  readonly config?: ApiConfigInput | undefined;
  /** @default the system clock */
  readonly clock?: Clock | undefined;
  /** @default random ids */
  readonly ids?: IdSource | undefined;
  /** Downloads `{ "url": ... }` images. @default createImageFetcher with the configured limits */
  readonly fetchImage?: FetchImage | undefined;
  /** @default one JSON line per warning or error on stderr */
  readonly log?: LogSink | undefined;
  /**
   * API keys (core/src/keys). With a store, every `/v1` request needs `Authorization: Bearer …`
   * unless `config.access.auth` is `disabled`; without one, keys are disabled.
   */
  readonly keys?: KeyStore | undefined;
  /**
   * The gateway that enforces each key's rate (API Gateway usage plans on AWS): the API then
   * takes no rate tokens itself, and key administration registers keys there. Unset: the API
   * enforces rates (per process).
   */
  readonly keyGateway?: KeyGateway | undefined;
  /** Idempotency-Key records. @default in memory (one process) over `usage` */
  readonly idempotency?: IdempotencyStore | undefined;
  /** Daily quotas, concurrency slots and lane tickets of keys. @default in memory (one process) */
  readonly usage?: DocumentStore | undefined;
  /** Messages waiting per lane, for queue positions. @default the lane queue's `depth()` if it has one */
  readonly queueDepth?: QueueDepth | undefined;
  /** Batches (docs/batches.md). Without them, the `/v1/batches` routes answer 404. */
  readonly batches?: BatchPorts | undefined;
  /** Webhook delivery logs, for `GET /v1/edits/{id}/webhook-deliveries` (docs/webhooks.md). */
  readonly webhookDeliveries?: WebhookDeliveryLog | undefined;
  /**
   * Outbound URL rules of webhook URLs and of the default image fetcher. Allow-listed origins are
   * for tests only. @default https URLs of public hosts only (docs/outbound-fetching.md)
   */
  readonly outbound?: OutboundUrlPolicy | undefined;
}
