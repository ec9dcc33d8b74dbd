import type { EditOptions, EditStatus, ImageInput, OutputFormat } from './api-types.ts';

/** `accepted` → `running` → `completed`, or `canceled`. */
export type BatchStatus = 'accepted' | 'running' | 'completed' | 'canceled';
/** `pending`: no job yet; `rejected`: refused at submission (no job); else its job's status. */
export type BatchItemStatus = 'pending' | 'rejected' | EditStatus;

/** Statuses a batch never leaves once its results manifest is written. */
export const TERMINAL_BATCH_STATUSES: ReadonlySet<BatchStatus> = new Set(['completed', 'canceled']);

export type BatchEventType = 'batch.completed' | 'batch.canceled';

/** One edit of a batch: an edit request without `lane` (items run on the batch lane). */
export interface BatchItemRequest extends Omit<EditOptions, 'lane'> {
  readonly image: Exclude<ImageInput, { readonly file: unknown }>;
  readonly instruction?: string;
  readonly deadline?: string;
  readonly deadlineSeconds?: number;
}

/** `POST /v1/batches`: exactly one of `items` or `manifest`. */
export interface BatchRequest {
  readonly items?: readonly BatchItemRequest[];
  /** A JSONL file (one item per line) uploaded through `POST /v1/uploads`. */
  readonly manifest?: { readonly uploadId: string };
  /** Fields every item takes unless it sets them itself. */
  readonly defaults?: Partial<Omit<BatchItemRequest, 'image'>>;
  readonly webhook?: { readonly url: string; readonly events?: readonly BatchEventType[] };
}

export interface LineError {
  readonly line: number;
  readonly code: string;
  readonly message: string;
}

export type BatchCounts = Readonly<Record<BatchItemStatus, number>> & { readonly total: number };

/** The answer to `POST /v1/batches` (202). */
export interface BatchAccepted {
  readonly id: string;
  readonly status: BatchStatus;
  readonly createdAt: string;
  /** Lines (or items) in the request. */
  readonly items: number;
  /** Items that passed the checks and will run. */
  readonly accepted: number;
  readonly lineErrors: { readonly count: number; readonly items: readonly LineError[] };
  readonly links: { readonly self: string; readonly cancel: string };
}

export interface BatchItem {
  readonly line: number;
  /** The edit's id, once its job exists. */
  readonly id: string | null;
  readonly status: BatchItemStatus;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly output: {
    readonly url: string;
    readonly expiresAt: string;
    readonly width: number;
    readonly height: number;
    readonly format: OutputFormat;
  } | null;
  readonly links: { readonly self: string } | null;
}

/** `GET /v1/batches/{id}`: the batch, its counts, and one page of items. */
export interface Batch {
  readonly id: string;
  readonly status: BatchStatus;
  readonly source: 'inline' | 'manifest';
  readonly createdAt: string;
  readonly fannedOutAt: string | null;
  readonly canceledAt: string | null;
  readonly completedAt: string | null;
  readonly counts: BatchCounts;
  readonly lineErrors: { readonly count: number; readonly items: readonly LineError[] };
  readonly webhook: { readonly url: string; readonly events: readonly BatchEventType[] } | null;
  /** The results manifest (JSONL, one line per item), once every item has ended. */
  readonly results: {
    readonly url: string;
    readonly expiresAt: string;
    readonly items: number;
  } | null;
  readonly items: readonly BatchItem[];
  readonly nextCursor: string | null;
  readonly links: { readonly self: string; readonly cancel: string; readonly next?: string };
}

/** `POST /v1/batches/{id}/cancel`. */
export interface BatchCancelResult {
  readonly id: string;
  readonly status: 'canceled';
  readonly canceled: {
    readonly pending: number;
    readonly queued: number;
    readonly running: number;
  };
  readonly complete: boolean;
  readonly counts: BatchCounts;
  readonly links: { readonly self: string; readonly cancel: string };
}
