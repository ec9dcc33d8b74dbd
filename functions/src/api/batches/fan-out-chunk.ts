import { randomUUID } from 'node:crypto';
import { batchJobId } from '#core/batches/batch-keys.ts';
import type { BatchChunk, BatchItem, BatchRecord } from '#core/batches/batch-record.ts';
import type { BatchTask } from '#core/batches/batch-task.ts';
import { withJobState } from '#core/batches/batch-tracker.ts';
import { ConflictError, isAppError } from '#core/errors.ts';
import type { JobRecord } from '#core/jobs/job-record.ts';
import { publishEvent, submitEdit } from '../../use-cases/submit-edit.ts';
import type { ApiContext } from '../api-context.ts';
import { describeError } from '../http-errors.ts';
import type { BatchContext } from './batch-context.ts';
import { cancelChunks } from './cancel-batch.ts';
import { itemSubmission } from './parse-batch-items.ts';

/** How a batch step ended: done (ack its task), or to be run again after a delay. */
export type StepOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'again'; readonly delaySeconds: number };

const DONE: StepOutcome = { kind: 'done' };

/** The outcome of one item's submission. */
type ItemResult =
  | { readonly line: number; readonly job: JobRecord }
  | { readonly line: number; readonly error: { readonly code: string; readonly message: string } };

/**
 * A `fan-out` task: creates the jobs of one chunk through the edits route's own submit use case,
 * `fanOutConcurrency` items at a time. Safe to repeat (at least once):
 *
 * - the step first claims the chunk (a conditional write), so two deliveries of the task never
 *   create its jobs at the same time; a claim left by a step that died expires;
 * - job ids are `<batchId>-<line>`: an item whose job exists is not submitted again (a job still
 *   at its first version gets its message sent again, since the step that created it may have died
 *   before sending it: a duplicate message at worst runs the edit twice, never loses it);
 * - each group's results are written to the chunk before the next group starts.
 *
 * An item refused at this point (its URL cannot be fetched, its upload is gone, its image is
 * invalid) becomes `rejected` with the code and message the edits route would answer. A failure
 * that may pass is thrown, after the group's results are saved: the task is delivered again.
 * After `stepBudgetMs` the step stops and asks to be run again, so one step never outlives a
 * Lambda invocation. A batch canceled meanwhile has the jobs of this chunk canceled instead.
 */
export async function fanOutChunk(
  ctx: ApiContext,
  batches: BatchContext,
  task: BatchTask,
): Promise<StepOutcome> {
  const { store, tracker, limits } = batches;
  const batch = await ctx.dependency('batch store get', () => store.get(task.batchId));
  if (batch === undefined || batch.status === 'completed') return DONE;
  if (batch.status === 'canceled') {
    await cancelChunks(ctx, batches, batch, { requestId: task.traceId, only: [task.chunk] });
    return DONE;
  }
  const token = randomUUID();
  const claimedAt = ctx.clock.now();
  let chunk = await ctx.dependency('batch store claim chunk', () =>
    store.updateChunk(batch.id, task.chunk, (current) => {
      if (current.fannedOut) return undefined;
      if (current.claim !== null && Date.parse(current.claim.until) > claimedAt) return undefined;
      const until = new Date(claimedAt + 2 * limits.stepBudgetMs).toISOString();
      return { ...current, claim: { token, until } };
    }),
  );
  if (chunk.fannedOut) {
    await tracker.syncChunk(chunk);
    return DONE;
  }
  if (chunk.claim?.token !== token) {
    const waitMs = Date.parse(chunk.claim?.until ?? '') - claimedAt;
    return { kind: 'again', delaySeconds: Math.min(900, Math.max(1, Math.ceil(waitMs / 1000))) };
  }

  const giveUpAt = Date.now() + limits.stepBudgetMs;
  const pending = chunk.items.filter((item) => item.status === 'pending');
  for (let start = 0; start < pending.length; start += limits.fanOutConcurrency) {
    // At least one group per step, so that every step makes progress.
    if (start > 0 && Date.now() > giveUpAt) {
      await releaseClaim(ctx, batches, batch.id, task.chunk, token);
      return { kind: 'again', delaySeconds: 0 };
    }
    const group = pending.slice(start, start + limits.fanOutConcurrency);
    const settled = await Promise.allSettled(
      group.map((item) => submitItem(ctx, batch, item, task.traceId)),
    );
    const results = settled.flatMap((result) =>
      result.status === 'fulfilled' ? [result.value] : [],
    );
    const failure = settled.find((result) => result.status === 'rejected');
    chunk = (
      await tracker.updateItems(batch.id, task.chunk, (current) => withResults(current, results))
    ).chunk;
    if (failure !== undefined) {
      await releaseClaim(ctx, batches, batch.id, task.chunk, token);
      throw failure.reason;
    }
    const fresh = await ctx.dependency('batch store get', () => store.get(batch.id));
    if (fresh?.status === 'canceled') {
      await releaseClaim(ctx, batches, batch.id, task.chunk, token);
      await cancelChunks(ctx, batches, fresh, { requestId: task.traceId, only: [task.chunk] });
      return DONE;
    }
  }
  await tracker.updateItems(batch.id, task.chunk, (current) => ({
    ...current,
    claim: current.claim?.token === token ? null : current.claim,
    fannedOut: current.items.every((item) => item.status !== 'pending'),
  }));
  return DONE;
}

async function submitItem(
  ctx: ApiContext,
  batch: BatchRecord,
  item: BatchItem,
  traceId: string,
): Promise<ItemResult> {
  const jobId = batchJobId(batch.id, item.line);
  const existing = await ctx.dependency('job store get', () => ctx.jobs.get(jobId));
  if (existing !== undefined) return { line: item.line, job: await resume(ctx, existing, traceId) };
  if (item.request === null) {
    return {
      line: item.line,
      error: {
        code: 'INTERNAL',
        message: `Expected the request of item ${item.line} but it is gone`,
      },
    };
  }
  try {
    const submission = await itemSubmission(item.request, ctx.config.limits);
    const job = await submitEdit(
      ctx,
      submission,
      { requestId: traceId, owner: batch.owner },
      { jobId, batchId: batch.id },
    );
    return { line: item.line, job };
  } catch (error) {
    if (error instanceof ConflictError) {
      // Another step created it first (a claim that expired under a slow step).
      const job = await ctx.dependency('job store get', () => ctx.jobs.get(jobId));
      if (job !== undefined) return { line: item.line, job };
    }
    if (isAppError(error) && !error.retryable) {
      return { line: item.line, error: { code: error.code, message: error.message } };
    }
    throw error;
  }
}

/**
 * A job found in place of a pending item was created by a step that stopped before recording it.
 * At version 1 it may lack its message (the step may have died before sending it): send it, and
 * its queued event, again.
 */
async function resume(ctx: ApiContext, job: JobRecord, traceId: string): Promise<JobRecord> {
  if (job.status !== 'queued' || job.version !== 1) return job;
  await ctx.dependency('queue send', () =>
    ctx.queues[job.lane].send({ v: 1, jobId: job.id, lane: job.lane, traceId }),
  );
  await publishEvent(ctx, job, traceId);
  return job;
}

/** The chunk with the group's results applied (newer job states only; refusals of pending items). */
function withResults(chunk: BatchChunk, results: readonly ItemResult[]): BatchChunk | undefined {
  let changed = false;
  let current = chunk;
  for (const result of results) {
    if ('job' in result) {
      const next = withJobState(current, result.line, result.job);
      if (next !== undefined) {
        current = next;
        changed = true;
      }
      continue;
    }
    const index = current.items.findIndex((item) => item.line === result.line);
    const item = current.items[index];
    if (item === undefined || item.status !== 'pending') continue;
    current.items[index] = { ...item, status: 'rejected', request: null, error: result.error };
    changed = true;
  }
  if (!changed) return undefined;
  current.fannedOut = current.items.every((item) => item.status !== 'pending');
  return current;
}

/** Gives the chunk back (best effort: an unreleased claim only delays the next step). */
async function releaseClaim(
  ctx: ApiContext,
  batches: BatchContext,
  batchId: string,
  index: number,
  token: string,
): Promise<void> {
  try {
    await batches.store.updateChunk(batchId, index, (current) =>
      current.claim?.token === token ? { ...current, claim: null } : undefined,
    );
  } catch (error) {
    ctx.log({
      level: 'warn',
      msg: 'batch chunk claim not released',
      batchId,
      chunk: index,
      error: describeError(error),
    });
  }
}
