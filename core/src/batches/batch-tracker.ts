import { NotFoundError } from '../errors.ts';
import type { JobRecord } from '../jobs/job-record.ts';
import type { BlobStore } from '../ports.ts';
import { type BatchEventPublisher, batchEventFor } from '../webhooks/batch-event.ts';
import { batchResultsKey, lineOfBatchJob } from './batch-keys.ts';
import {
  allItemsEnded,
  type BatchChunk,
  type BatchItem,
  type BatchRecord,
  chunkOfLine,
  countItems,
  sumCounts,
} from './batch-record.ts';
import { RESULTS_CONTENT_TYPE, resultsManifest } from './batch-results.ts';
import type { BatchStore } from './batch-store.ts';

/** What the tracker needs of a job: a job record, or the snapshot of a job event. */
export type JobState = Pick<
  JobRecord,
  'id' | 'batchId' | 'status' | 'version' | 'output' | 'error'
>;

export interface BatchTrackerDeps {
  readonly store: BatchStore;
  /** Where the results manifest goes. */
  readonly blobs: BlobStore;
  /** Batch events for webhooks; without it none are published. */
  readonly events?: BatchEventPublisher | undefined;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Keeps the batch records in step with their jobs, and ends a batch (docs/batches.md):
 *
 * 1. `recordJob` writes a job's state into its chunk item, only if it comes from a newer job
 *    version than the item holds (so redelivered or late states never go back);
 * 2. `syncChunk` copies the chunk's counts into the batch record, only if the chunk version is
 *    newer than the summary's (so concurrent writers converge on the latest chunk state), and moves
 *    `accepted` to `running` once every chunk has its jobs;
 * 3. once every item has ended, whoever synced last writes `results.jsonl`, then the batch's
 *    `results`, `completedAt` and final event in one conditional write, then publishes the event.
 *
 * Every step is idempotent, so a caller that fails half way runs it all again (the worker does,
 * through the redelivery of the job's message). Errors propagate.
 */
export class BatchTracker {
  readonly #deps: BatchTrackerDeps;
  readonly #now: () => number;

  constructor(deps: BatchTrackerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Records the state of a batch job; a job without a batch, or of an unknown batch, is ignored. */
  async recordJob(job: JobState): Promise<BatchRecord | undefined> {
    if (job.batchId === null) return undefined;
    const line = lineOfBatchJob(job.batchId, job.id);
    const batch = line === undefined ? undefined : await this.#deps.store.get(job.batchId);
    const summary =
      batch === undefined || line === undefined ? undefined : chunkOfLine(batch, line);
    if (batch === undefined || line === undefined || summary === undefined) return undefined;
    const chunk = await this.#deps.store.updateChunk(batch.id, summary.index, (current) =>
      withJobState(current, line, job),
    );
    return this.syncChunk(chunk);
  }

  /** Updates the items of one chunk with `change` (undefined: no change), then syncs it. */
  async updateItems(
    batchId: string,
    index: number,
    change: (chunk: BatchChunk) => BatchChunk | undefined,
  ): Promise<{ chunk: BatchChunk; batch: BatchRecord }> {
    const chunk = await this.#deps.store.updateChunk(batchId, index, change);
    return { chunk, batch: await this.syncChunk(chunk) };
  }

  /** Copies a chunk's state into its batch record, then ends the batch if every item has ended. */
  async syncChunk(chunk: BatchChunk): Promise<BatchRecord> {
    const at = new Date(this.#now()).toISOString();
    const batch = await this.#deps.store.update(chunk.batchId, (current) => {
      const summary = current.chunks[chunk.index];
      if (summary === undefined || summary.chunkVersion >= chunk.version) return undefined;
      summary.chunkVersion = chunk.version;
      summary.fannedOut = chunk.fannedOut;
      summary.counts = countItems(chunk.items);
      if (current.status === 'accepted' && current.chunks.every((c) => c.fannedOut)) {
        current.status = 'running';
        current.timestamps.fannedOutAt = at;
      }
      return current;
    });
    return this.finishIfEnded(batch);
  }

  /**
   * Ends a batch whose items have all ended: results manifest, then `results` and the final event
   * in the record, then the event itself. Does nothing for a batch with items still open; repeats
   * only the missing steps for one that was ended half way.
   */
  async finishIfEnded(batch: BatchRecord): Promise<BatchRecord> {
    let current = batch;
    if (current.results === null) {
      if (!allItemsEnded(current)) return current;
      const key = batchResultsKey(current.id);
      const chunks = await Promise.all(
        current.chunks.map(async (summary) => {
          const chunk = await this.#deps.store.getChunk(current.id, summary.index);
          if (chunk === undefined) {
            throw new NotFoundError(
              `Expected chunk ${summary.index} of batch ${current.id} to exist but it does not`,
              { details: { batchId: current.id, chunk: summary.index } },
            );
          }
          return chunk;
        }),
      );
      await this.#deps.blobs.put(key, resultsManifest(chunks), {
        contentType: RESULTS_CONTENT_TYPE,
      });
      const at = new Date(this.#now()).toISOString();
      current = await this.#deps.store.update(current.id, (fresh) => {
        if (fresh.results !== null || !allItemsEnded(fresh)) return undefined;
        const canceled = fresh.status === 'canceled';
        return {
          ...fresh,
          status: canceled ? 'canceled' : 'completed',
          timestamps: {
            ...fresh.timestamps,
            fannedOutAt: fresh.timestamps.fannedOutAt ?? at,
            completedAt: at,
          },
          results: { key, items: fresh.itemCount },
          finalEvent: {
            type: canceled ? 'batch.canceled' : 'batch.completed',
            sequence: fresh.version + 1,
            published: false,
          },
        };
      });
    }
    return this.#publishFinalEvent(current);
  }

  async #publishFinalEvent(batch: BatchRecord): Promise<BatchRecord> {
    const { finalEvent } = batch;
    const events = this.#deps.events;
    if (finalEvent === null || finalEvent.published || events === undefined) return batch;
    const counts = sumCounts(batch.chunks);
    await events.publish(
      batchEventFor({
        batchId: batch.id,
        owner: batch.owner,
        webhook: batch.webhook,
        type: finalEvent.type,
        sequence: finalEvent.sequence,
        occurredAt: new Date(batch.timestamps.completedAt ?? this.#now()),
        data: {
          status: batch.status,
          items: batch.itemCount,
          counts,
          lineErrors: batch.lineErrors.count,
          createdAt: batch.timestamps.createdAt,
          completedAt: batch.timestamps.completedAt,
          links: { self: `/v1/batches/${batch.id}` },
        },
      }),
    );
    return this.#deps.store.update(batch.id, (fresh) =>
      fresh.finalEvent === null || fresh.finalEvent.published
        ? undefined
        : { ...fresh, finalEvent: { ...fresh.finalEvent, published: true } },
    );
  }
}

/**
 * The chunk with item `line` set to the job's state, or undefined when the item already holds
 * this job version or a newer one.
 */
export function withJobState(
  chunk: BatchChunk,
  line: number,
  job: JobState,
): BatchChunk | undefined {
  const index = chunk.items.findIndex((item) => item.line === line);
  const item = chunk.items[index];
  if (item === undefined || item.jobVersion >= job.version) return undefined;
  const next: BatchItem = {
    ...item,
    jobId: job.id,
    status: job.status,
    jobVersion: job.version,
    request: null,
    output: job.status === 'succeeded' ? job.output : null,
    error: job.status === 'succeeded' ? null : job.error,
  };
  chunk.items[index] = next;
  chunk.fannedOut = chunk.items.every((each) => each.status !== 'pending');
  return chunk;
}
