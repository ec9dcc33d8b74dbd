/**
 * The ports of the edit service (DESIGN §4). The job flow is written against these interfaces only;
 * composition roots choose the adapters (`local/` on the disk, `aws/` on S3 and SQS). Every adapter
 * passes the contract suite of its port in `testing/`. Semantics are documented in docs/ports.md.
 */
import type { JobEvent } from './jobs/job-event.ts';
import type { JobRecord, NewJobRecord } from './jobs/job-record.ts';

// ---------------------------------------------------------------------------------------------
// Blob store
// ---------------------------------------------------------------------------------------------

export interface BlobInfo {
  readonly key: string;
  readonly size: number;
  readonly contentType: string;
  /** Changes whenever the bytes change (S3 ETag; local: SHA-256 of the bytes, quoted). */
  readonly etag: string;
  readonly lastModified: Date;
}

export interface StoredBlob extends BlobInfo {
  readonly body: Uint8Array;
}

export interface SignedUrlOptions {
  /** Lifetime of the URL, 1 s to 7 days. */
  readonly expiresInSeconds: number;
}

export interface SignedUploadOptions extends SignedUrlOptions {
  /** The largest body the upload may carry. See `SignedUpload.enforcesMaxBytes`. */
  readonly maxBytes: number;
  /** Binds the exact body size into the signature where the backend can (S3 signs Content-Length). */
  readonly contentLength?: number;
  /** Stored with the object; the caller must send it as the Content-Type header. */
  readonly contentType?: string;
}

export interface SignedUrl {
  readonly url: string;
  readonly method: 'GET' | 'PUT';
  /** Headers the caller must send with the request (e.g. `content-type`, `content-length`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: Date;
}

export interface SignedUpload extends SignedUrl {
  readonly method: 'PUT';
  readonly maxBytes: number;
  /**
   * False where the backend cannot refuse a larger body at upload time (an S3 presigned PUT without
   * `contentLength`): the caller must `head()` the object and check its size before using it.
   */
  readonly enforcesMaxBytes: boolean;
}

/** Object storage for images: S3 in AWS, a folder locally. Keys are `/`-separated, no `.`/`..`. */
export interface BlobStore {
  /** Stores `body` under `key`, replacing what was there (atomic: readers see old or new bytes). */
  put(key: string, body: Uint8Array, options: { readonly contentType: string }): Promise<void>;
  /** @throws NotFoundError when nothing is stored under `key`. */
  get(key: string): Promise<StoredBlob>;
  /** Resolves with undefined when nothing is stored under `key`. */
  head(key: string): Promise<BlobInfo | undefined>;
  /** Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  signedDownloadUrl(key: string, options: SignedUrlOptions): Promise<SignedUrl>;
  signedUploadUrl(key: string, options: SignedUploadOptions): Promise<SignedUpload>;
}

// ---------------------------------------------------------------------------------------------
// Job queue
// ---------------------------------------------------------------------------------------------

export interface SendOptions {
  /** The message stays invisible for this long after sending, 0 to 900 s (SQS DelaySeconds). */
  readonly delaySeconds?: number;
}

export interface ReceiveOptions {
  /** 1 to 10 (SQS MaxNumberOfMessages). */
  readonly maxMessages: number;
  /** Long poll: 0 to 20 s; resolves as soon as a message is there (SQS WaitTimeSeconds). */
  readonly waitSeconds: number;
  /** How long each received message stays hidden from other consumers, 1 s to 12 h. */
  readonly leaseSeconds: number;
  /** Stops a long poll early (graceful shutdown); the receive then resolves with []. */
  readonly signal?: AbortSignal;
}

/**
 * A received message, hidden from other consumers until it is acked or its lease runs out
 * (the SQS visibility timeout). Delivery is at least once: a message whose lease runs out is
 * delivered again with `attempt + 1`.
 */
export interface Lease<T> {
  /** Stable across deliveries of the same message. */
  readonly messageId: string;
  readonly message: T;
  /** 1 on first delivery (SQS ApproximateReceiveCount). */
  readonly attempt: number;
  readonly receivedAt: Date;
  /** Deletes the message. Idempotent; acking a lease that was lost does not throw. */
  ack(): Promise<void>;
  /**
   * Heartbeat: keeps the message hidden for `seconds` from now (not added to what is left).
   * @throws ConflictError when the lease is no longer held (acked, or expired and received again).
   */
  extend(seconds: number): Promise<void>;
  /**
   * Gives the message back: visible again after `delaySeconds` (0 = now); its next delivery
   * has `attempt + 1`.
   * @throws ConflictError when the lease is no longer held.
   */
  release(delaySeconds: number): Promise<void>;
}

/**
 * At-least-once work queue: one SQS queue per lane in AWS (with a dead-letter queue and a
 * maxReceiveCount redrive policy), a file-backed queue locally.
 */
export interface JobQueue<T> {
  send(message: T, options?: SendOptions): Promise<void>;
  /** Resolves with [] when nothing arrived within `waitSeconds` or the signal aborted. */
  receive(options: ReceiveOptions): Promise<Lease<T>[]>;
}

// ---------------------------------------------------------------------------------------------
// Job store
// ---------------------------------------------------------------------------------------------

export interface UpdateOptions {
  /**
   * Only update if the stored record has this version; otherwise ConflictError, no retry.
   * Without it, a lost race is retried on the fresh record (the mutation runs again).
   */
  readonly expectedVersion?: number;
}

/**
 * A mutation of a job record. It receives a private copy (mutating it in place is fine) and returns
 * the next record; the store sets `version` itself.
 */
export type JobMutation = (job: JobRecord) => JobRecord;

/** Job records: JSON in S3 in AWS, JSON files locally. Reads see the latest successful write. */
export interface JobStore {
  /**
   * Stores a new job with `version` 1. Its status must be `queued`.
   * @throws ConflictError when a job with the same id exists.
   */
  create(job: NewJobRecord): Promise<JobRecord>;
  get(id: string): Promise<JobRecord | undefined>;
  /**
   * Read-modify-write of one record, guarded by its version so that two writers never both win.
   * The status change must be allowed by the state machine (jobs/job-status.ts).
   * @throws NotFoundError when the job does not exist.
   * @throws ConflictError on a refused transition (with the current status in `details`), a stale
   *   `expectedVersion`, or a race still lost after the store's retries.
   */
  update(id: string, mutate: JobMutation, options?: UpdateOptions): Promise<JobRecord>;
}

// ---------------------------------------------------------------------------------------------
// Event queue
// ---------------------------------------------------------------------------------------------

/**
 * Job state changes on their way to the webhook deliverer. At least once: the same event may be
 * delivered more than once, always with the same `event.id`.
 */
export interface EventQueue {
  publish(event: JobEvent): Promise<void>;
  receive(options: ReceiveOptions): Promise<Lease<JobEvent>[]>;
}
