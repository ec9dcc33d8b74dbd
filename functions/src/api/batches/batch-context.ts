import { randomUUID } from 'node:crypto';
import { BATCH_CHUNK_SIZE, MAX_BATCH_ITEMS } from '#core/batches/batch-record.ts';
import type { BatchStore } from '#core/batches/batch-store.ts';
import type { BatchTask } from '#core/batches/batch-task.ts';
import { BatchTracker } from '#core/batches/batch-tracker.ts';
import { ConfigError } from '#core/errors.ts';
import type { BlobStore, JobQueue } from '#core/ports.ts';
import type { BatchEventPublisher } from '#core/webhooks/batch-event.ts';
import type { Clock } from '../api-types.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The limits of batches. docs/batches.md has the same table. */
export interface BatchLimits {
  /**
   * Items in an inline `items` array. The whole body must also fit the API's 6 MiB body limit
   * (Lambda's synchronous payload limit, DESIGN §2), so inline images must be small.
   * @default 100
   */
  readonly maxInlineItems: number;
  /** Non-blank lines of a manifest. @default 10,000 */
  readonly maxManifestItems: number;
  /** Size of a manifest upload. @default 16 MiB */
  readonly maxManifestBytes: number;
  /**
   * Size of one manifest line, without its line break. Enough for any line with an `uploadId` or
   * a `url` (a 2,000-character instruction and a 2,048-character URL); data URIs belong inline.
   * @default 16 KiB
   */
  readonly maxLineBytes: number;
  /** Items per page of `GET /v1/batches/{id}` (the `limit` query parameter's maximum). @default 100 */
  readonly maxPageItems: number;
  /** Items per chunk (the unit of fan-out and tracking). @default 100 */
  readonly chunkSize: number;
  /** Items of a chunk whose jobs a fan-out step creates at once. @default 4 */
  readonly fanOutConcurrency: number;
  /**
   * How long one fan-out step works on a chunk before it hands the rest to a new task; also the
   * time after which a chunk claimed by a step that died may be taken over (twice this).
   * @default 60,000 ms
   */
  readonly stepBudgetMs: number;
  /** How long `POST /v1/batches/{id}/cancel` works before it hands the rest to tasks. @default 10,000 ms */
  readonly cancelBudgetMs: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = {
  maxInlineItems: 100,
  maxManifestItems: MAX_BATCH_ITEMS,
  maxManifestBytes: 16 * MiB,
  maxLineBytes: 16 * KiB,
  maxPageItems: 100,
  chunkSize: BATCH_CHUNK_SIZE,
  fanOutConcurrency: 4,
  stepBudgetMs: 60_000,
  cancelBudgetMs: 10_000,
};

/** What a composition root gives the API for batches (ApiDeps.batches). */
export interface BatchPorts {
  readonly store: BatchStore;
  /**
   * The batch task queue: fan-out and cancel steps that do not fit in a request (docs/batches.md).
   * Locally an FsJobQueue on `queues/batch-tasks`, in AWS an SQS queue with a Lambda consumer.
   */
  readonly tasks: JobQueue<BatchTask>;
  /** Batch events for webhooks (the events queue). Without it, none are published. */
  readonly events?: BatchEventPublisher | undefined;
  readonly limits?: Partial<BatchLimits> | undefined;
  /** @default `bat_` and 32 random hex digits */
  readonly newBatchId?: (() => string) | undefined;
}

/** The resolved batch dependencies that the batch use cases share. */
export interface BatchContext {
  readonly store: BatchStore;
  readonly tasks: JobQueue<BatchTask>;
  readonly tracker: BatchTracker;
  readonly limits: BatchLimits;
  readonly newBatchId: () => string;
}

/**
 * Resolves the batch ports with the app's blob store (results manifests) and clock.
 * @throws ConfigError when a limit is not a positive integer or the chunk size is above 1,000.
 */
export function createBatchContext(
  ports: BatchPorts,
  app: { readonly blobs: BlobStore; readonly clock: Clock },
): BatchContext {
  const limits: BatchLimits = { ...DEFAULT_BATCH_LIMITS, ...ports.limits };
  const problems = Object.entries(limits)
    .filter(([, value]) => !Number.isInteger(value) || value < 1)
    .map(
      ([name, value]) =>
        `Expected batch limit "${name}" to be a positive integer but received ${String(value)}`,
    );
  if (limits.chunkSize > 1000) {
    problems.push(
      `Expected batch limit "chunkSize" to be at most 1000 but received ${limits.chunkSize}`,
    );
  }
  if (limits.maxManifestItems > MAX_BATCH_ITEMS || limits.maxInlineItems > MAX_BATCH_ITEMS) {
    problems.push(`Expected batches of at most ${MAX_BATCH_ITEMS} items (the record's limit)`);
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid batch limits: ${problems.join('; ')}`, {
      details: { issues: problems },
    });
  }
  return {
    store: ports.store,
    tasks: ports.tasks,
    tracker: new BatchTracker({
      store: ports.store,
      blobs: app.blobs,
      events: ports.events,
      now: () => app.clock.now(),
    }),
    limits,
    newBatchId: ports.newBatchId ?? (() => `bat_${randomUUID().replaceAll('-', '')}`),
  };
}
