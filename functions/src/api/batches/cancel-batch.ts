import { batchJobId } from '#core/batches/batch-keys.ts';
import {
  type BatchChunk,
  type BatchRecord,
  type ChunkSummary,
  type ItemCounts,
  isTerminalItemStatus,
  sumCounts,
} from '#core/batches/batch-record.ts';
import { withJobState } from '#core/batches/batch-tracker.ts';
import { ConflictError, NotFoundError } from '#core/errors.ts';
import type { JobRecord } from '#core/jobs/job-record.ts';
import { cancelEdit } from '../../use-cases/cancel-edit.ts';
import type { ApiContext } from '../api-context.ts';
import type { BatchContext } from './batch-context.ts';
import { batchLinks, readBatch } from './batch-view.ts';
import { eachLimited } from './parallel.ts';

/** Jobs of one chunk canceled at once. */
const CANCEL_CONCURRENCY = 8;

/** What one cancel request (or step) did. */
export interface CancelCounts {
  /** Items whose job had not been created yet: they never will be. */
  readonly pending: number;
  /** Queued jobs, canceled at once. */
  readonly queued: number;
  /** Running jobs: canceled now, their worker stops at its next denoising step. */
  readonly running: number;
}

export interface CancelBatchResult {
  readonly id: string;
  readonly status: 'canceled';
  readonly canceled: CancelCounts;
  /**
   * False when the request ran out of time (`cancelBudgetMs`) and left chunks to `cancel` tasks;
   * the batch is canceled either way, and no new job of it starts.
   */
  readonly complete: boolean;
  /** The items by state after the cancel (as `GET /v1/batches/{id}` shows them). */
  readonly counts: ItemCounts & { readonly total: number };
  readonly links: ReturnType<typeof batchLinks>;
}

/**
 * `POST /v1/batches/{id}/cancel`: marks the batch `canceled` (no fan-out step creates a job of it
 * after that), then cancels its items through the edits cancel use case: queued jobs at once,
 * running ones at their next step, items without a job yet for good. Chunks left when
 * `cancelBudgetMs` runs out go to `cancel` tasks. Canceling a canceled batch again is allowed
 * (it finishes what is left); a completed batch is a 409.
 * @throws NotFoundError (404) for an unknown id or another owner's batch; ConflictError (409).
 */
export async function cancelBatch(
  ctx: ApiContext,
  batches: BatchContext,
  id: string,
  caller: { readonly requestId: string; readonly owner: string },
): Promise<CancelBatchResult> {
  const batch = await readBatch(ctx, batches, id, caller.owner);
  const at = new Date(ctx.clock.now()).toISOString();
  let canceled: BatchRecord;
  try {
    canceled = await ctx.dependency('batch store update', () =>
      batches.store.update(batch.id, (current) =>
        current.status === 'canceled'
          ? undefined
          : {
              ...current,
              status: 'canceled',
              timestamps: { ...current.timestamps, canceledAt: at },
            },
      ),
    );
  } catch (error) {
    if (error instanceof ConflictError && error.details?.currentStatus === 'completed') {
      throw new ConflictError(
        `Expected an accepted or running batch to cancel but batch ${batch.id} has completed; a completed batch cannot be canceled`,
        { details: { id: batch.id, status: 'completed' } },
      );
    }
    throw error;
  }
  const result = await cancelChunks(ctx, batches, canceled, {
    requestId: caller.requestId,
    deadline: Date.now() + batches.limits.cancelBudgetMs,
  });
  const fresh =
    (await ctx.dependency('batch store get', () => batches.store.get(batch.id))) ?? canceled;
  const counts = sumCounts(fresh.chunks);
  return {
    id: batch.id,
    status: 'canceled',
    canceled: { pending: result.pending, queued: result.queued, running: result.running },
    complete: result.complete,
    counts: { ...counts, total: fresh.itemCount },
    links: batchLinks(batch.id),
  };
}

/**
 * Cancels the open items of a canceled batch's chunks (all, or `only` some), until `deadline`
 * (Date.now() time); the chunks left get a `cancel` task each.
 */
export async function cancelChunks(
  ctx: ApiContext,
  batches: BatchContext,
  batch: BatchRecord,
  options: {
    readonly requestId: string;
    readonly deadline?: number;
    readonly only?: readonly number[];
  },
): Promise<CancelCounts & { readonly complete: boolean }> {
  const total = { pending: 0, queued: 0, running: 0 };
  let complete = true;
  for (const summary of batch.chunks) {
    if (options.only !== undefined && !options.only.includes(summary.index)) continue;
    if (hasEnded(summary)) continue;
    if (Date.now() > (options.deadline ?? Number.POSITIVE_INFINITY)) {
      complete = false;
      await ctx.dependency('batch task send', () =>
        batches.tasks.send({
          v: 1,
          kind: 'cancel',
          batchId: batch.id,
          chunk: summary.index,
          traceId: options.requestId,
        }),
      );
      continue;
    }
    const counts = await cancelChunk(ctx, batches, batch, summary.index, options.requestId);
    total.pending += counts.pending;
    total.queued += counts.queued;
    total.running += counts.running;
  }
  return { ...total, complete };
}

/** A summary whose items have all ended (a lagging summary only lags behind more ended items). */
function hasEnded(summary: ChunkSummary): boolean {
  return (
    summary.fannedOut &&
    summary.counts.queued + summary.counts.running + summary.counts.pending === 0
  );
}

type Outcome =
  | { readonly line: number; readonly kind: 'pending' }
  | {
      readonly line: number;
      readonly kind: 'job';
      readonly job: JobRecord;
      readonly was: 'queued' | 'running' | 'ended';
    };

async function cancelChunk(
  ctx: ApiContext,
  batches: BatchContext,
  batch: BatchRecord,
  index: number,
  requestId: string,
): Promise<CancelCounts> {
  const chunk = await ctx.dependency('batch store get chunk', () =>
    batches.store.getChunk(batch.id, index),
  );
  if (chunk === undefined) return { pending: 0, queued: 0, running: 0 };
  const open = chunk.items.filter((item) => !isTerminalItemStatus(item.status));
  const outcomes = await eachLimited(
    open,
    CANCEL_CONCURRENCY,
    async (item): Promise<Outcome | undefined> => {
      const jobId = item.jobId ?? batchJobId(batch.id, item.line);
      let was: 'queued' | 'running' | 'ended' = 'ended';
      try {
        const result = await cancelEdit(ctx, jobId, { requestId, owner: batch.owner });
        was = result.canceled === 'immediately' ? 'queued' : 'running';
      } catch (error) {
        // Not created yet (a pending item), or already ended: nothing to cancel.
        if (error instanceof NotFoundError && item.status === 'pending')
          return { line: item.line, kind: 'pending' };
        if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
      }
      const job = await ctx.dependency('job store get', () => ctx.jobs.get(jobId));
      return job === undefined ? undefined : { line: item.line, kind: 'job', job, was };
    },
  );
  const done = outcomes.filter((outcome): outcome is Outcome => outcome !== undefined);
  await batches.tracker.updateItems(batch.id, index, (current) => withCancels(current, done));
  return {
    pending: done.filter((o) => o.kind === 'pending').length,
    queued: done.filter((o) => o.kind === 'job' && o.was === 'queued').length,
    running: done.filter((o) => o.kind === 'job' && o.was === 'running').length,
  };
}

function withCancels(chunk: BatchChunk, outcomes: readonly Outcome[]): BatchChunk {
  let current = chunk;
  for (const outcome of outcomes) {
    if (outcome.kind === 'job') {
      current = withJobState(current, outcome.line, outcome.job) ?? current;
      continue;
    }
    const index = current.items.findIndex((item) => item.line === outcome.line);
    const item = current.items[index];
    if (item === undefined || item.status !== 'pending') continue;
    current.items[index] = {
      ...item,
      status: 'canceled',
      request: null,
      error: {
        code: 'CANCELED',
        message: 'The batch was canceled before the job of this item was created',
      },
    };
  }
  // Nothing is left to create once the batch is canceled.
  return { ...current, fannedOut: true, claim: null };
}
