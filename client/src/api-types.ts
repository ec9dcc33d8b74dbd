import type { WebhookRequest } from './webhooks.ts';

/**
 * The shapes the VIBE API sends and takes (docs/api.md, docs/openapi.json). test/client checks at
 * type level that the server's views are assignable to these, so they cannot drift apart.
 */

export type EditStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'expired';
export type OutputFormat = 'png' | 'jpeg' | 'webp';
export type SizeMode = 'aligned' | 'parity';
export type Lane = 'interactive' | 'batch';

/** Statuses an edit never leaves. */
export const TERMINAL_EDIT_STATUSES: ReadonlySet<EditStatus> = new Set([
  'succeeded',
  'failed',
  'canceled',
  'expired',
]);

/** The knobs of an edit; anything left out takes the server's default. */
export interface EditOptions {
  /** Denoising steps, 1..100. @default 20 */
  readonly steps?: number;
  /** Text guidance, 0..20. @default 4.5 */
  readonly guidanceScale?: number;
  /** Image guidance, 0..10. @default 1.2 */
  readonly imageGuidanceScale?: number;
  /** 0..4294967295. @default 42 */
  readonly seed?: number;
  /** @default 'aligned' */
  readonly sizeMode?: SizeMode;
  /** @default { format: 'png' } */
  readonly output?: { readonly format: OutputFormat; readonly quality?: number };
  /** @default 'interactive' */
  readonly lane?: Lane;
}

/** An image the client sends itself, as a multipart file part. */
export interface ImageFile {
  readonly bytes: Uint8Array | Blob;
  /** @default 'image' */
  readonly filename?: string;
  /** @default from the magic bytes, else application/octet-stream */
  readonly contentType?: string;
}

/** Where the image of an edit comes from: exactly one. */
export type ImageInput =
  | { readonly uploadId: string }
  | { readonly url: string }
  | { readonly dataUri: string }
  | { readonly file: ImageFile };

export interface EditRequest extends EditOptions {
  readonly image: ImageInput;
  readonly instruction: string;
  /** POST the edit's events here, signed (see verifyWebhook). */
  readonly webhook?: WebhookRequest;
  /** If the edit has not started by then (ISO 8601) it ends `expired` and never runs. */
  readonly deadline?: string;
  /** The deadline in seconds from the submission; not with `deadline`. */
  readonly deadlineSeconds?: number;
}

/**
 * The answer to a submission: 202 with these fields, or, when `Prefer: wait` was honoured, the
 * whole edit (every field of Edit).
 */
export type SubmittedEdit = Pick<Edit, 'id' | 'status' | 'createdAt' | 'links'> & Partial<Edit>;

export interface EditProgress {
  readonly step: number;
  readonly steps: number;
}

export interface QueuePosition {
  /** 1 = next to run. */
  readonly position: number;
  /** Edits estimated to run before it. */
  readonly ahead: number;
  /** Edits waiting in the lane, this one included. */
  readonly waiting: number;
}

/** `GET /v1/edits/{id}`. */
export interface Edit {
  readonly id: string;
  readonly status: EditStatus;
  readonly lane: Lane;
  readonly instruction: string;
  readonly parameters: {
    readonly steps: number;
    readonly guidanceScale: number;
    readonly imageGuidanceScale: number;
    readonly seed: number;
    readonly sizeMode: SizeMode;
    readonly output: { readonly format: OutputFormat; readonly quality?: number | undefined };
  };
  readonly input: { readonly width: number; readonly height: number; readonly format: string };
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
  readonly attempts: number;
  /** If the edit has not started by then it ends `expired`. */
  readonly deadline: string | null;
  /** Where a queued edit stands in its lane (an estimate); null when not queued or not known. */
  readonly queue: QueuePosition | null;
  readonly progress: EditProgress | null;
  readonly timings: {
    readonly queueMs: number | null;
    readonly inferenceMs: number | null;
    readonly totalMs: number | null;
  };
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly model: {
    readonly name: string;
    readonly version: string;
    readonly synthetic: boolean;
  } | null;
  readonly output: {
    readonly url: string;
    readonly expiresAt: string;
    readonly width: number;
    readonly height: number;
    readonly format: OutputFormat;
  } | null;
  readonly links: { readonly self: string; readonly cancel: string };
}

/** `POST /v1/edits/{id}/cancel`. */
export interface CancelResult {
  readonly id: string;
  readonly status: 'canceled';
  readonly canceled: 'immediately' | 'at-next-step';
}

/** `POST /v1/uploads` body. */
export interface UploadRequest {
  readonly contentType?: 'image/jpeg' | 'image/png' | 'image/webp';
  readonly contentLength?: number;
}

/** `POST /v1/uploads` answer: PUT the bytes to `url` with `headers`, then submit `uploadId`. */
export interface UploadTicket {
  readonly uploadId: string;
  readonly url: string;
  readonly method: 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
  readonly usableUntil: string;
  readonly maxBytes: number;
}

/** `GET /healthz`. */
export interface Health {
  readonly status: 'ok';
  readonly time: string;
}
