import {
  type BatchItem,
  type BatchRecord,
  isTerminalItemStatus,
} from '#core/batches/batch-record.ts';
import { DependencyError, ValidationError } from '#core/errors.ts';
import type { SignedUrl } from '#core/ports.ts';
import type { ApiContext } from '../api-context.ts';
import { describeError } from '../http-errors.ts';
import type { BatchContext } from './batch-context.ts';
import { type BatchView, readBatch, toBatchView, toItemView } from './batch-view.ts';
import { eachLimited } from './parallel.ts';

/** Job records read at once to refresh the open items of a page. */
const READ_CONCURRENCY = 8;

/**
 * `GET /v1/batches/{id}`: the batch, its counts by item state, its line errors, one page of items
 * in line order (`limit` items after `cursor`), and a fresh presigned URL of the results manifest
 * once the batch has ended. Items that succeeded carry a fresh presigned URL of their output.
 *
 * The items shown that are still open are checked against their job records, and a job that
 * moved on is written into the batch (BatchTracker.recordJob): the page is never staler than the
 * jobs, and a state the worker could not record yet is recorded here (a failure to record is
 * logged; the answer still shows the job's state).
 * @throws NotFoundError (404) for an unknown id or another owner's batch; ValidationError for a
 *   bad `limit` or `cursor`.
 */
export async function getBatch(
  ctx: ApiContext,
  batches: BatchContext,
  id: string,
  owner: string,
  query: Readonly<Record<string, string>>,
): Promise<BatchView> {
  const limit = parseLimit(query.limit, batches.limits.maxPageItems);
  const after = query.cursor === undefined ? 0 : parseCursor(query.cursor);
  let batch = await readBatch(ctx, batches, id, owner);
  const page = await readPage(ctx, batches, batch, after, limit);
  const { items, recorded } = await refreshOpenItems(ctx, batches, page.items);
  if (recorded) batch = await readBatch(ctx, batches, id, owner);
  const ttl = ctx.config.signedUrlTtlSeconds;
  const sign = (key: string): Promise<SignedUrl> =>
    ctx.dependency('blob store sign', () =>
      ctx.blobs.signedDownloadUrl(key, { expiresInSeconds: ttl }),
    );
  const views = await Promise.all(
    items.map(async (item) =>
      toItemView(
        item,
        item.status === 'succeeded' && item.output !== null
          ? await sign(item.output.key)
          : undefined,
      ),
    ),
  );
  const results = batch.results === null ? undefined : await sign(batch.results.key);
  const last = items.at(-1);
  return toBatchView(
    batch,
    { items: views, nextCursor: page.more && last !== undefined ? encodeCursor(last.line) : null },
    results,
  );
}

async function readPage(
  ctx: ApiContext,
  batches: BatchContext,
  batch: BatchRecord,
  after: number,
  limit: number,
): Promise<{ items: BatchItem[]; more: boolean }> {
  const items: BatchItem[] = [];
  for (const summary of batch.chunks) {
    if (summary.lastLine <= after) continue;
    if (items.length >= limit) return { items, more: true };
    const chunk = await ctx.dependency('batch store get chunk', () =>
      batches.store.getChunk(batch.id, summary.index),
    );
    if (chunk === undefined) {
      throw new DependencyError(
        `Expected chunk ${summary.index} of batch ${batch.id} to exist but it does not`,
        { details: { batchId: batch.id, chunk: summary.index } },
      );
    }
    for (const item of chunk.items) {
      if (item.line <= after) continue;
      if (items.length >= limit) return { items, more: true };
      items.push(item);
    }
  }
  return { items, more: false };
}

async function refreshOpenItems(
  ctx: ApiContext,
  batches: BatchContext,
  items: readonly BatchItem[],
): Promise<{ items: BatchItem[]; recorded: boolean }> {
  let recorded = false;
  const fresh = await eachLimited(items, READ_CONCURRENCY, async (item) => {
    const jobId = item.jobId;
    if (jobId === null || isTerminalItemStatus(item.status)) return item;
    const job = await ctx.dependency('job store get', () => ctx.jobs.get(jobId));
    if (job === undefined || job.version <= item.jobVersion) return item;
    try {
      await batches.tracker.recordJob(job);
      recorded = true;
    } catch (error) {
      ctx.log({
        level: 'warn',
        msg: 'batch item not brought up to date',
        jobId,
        error: describeError(error),
      });
    }
    return {
      ...item,
      status: job.status,
      jobVersion: job.version,
      output: job.status === 'succeeded' ? job.output : null,
      error: job.status === 'succeeded' ? null : job.error,
    };
  });
  return { items: fresh, recorded };
}

function parseLimit(value: string | undefined, max: number): number {
  if (value === undefined) return max;
  const limit = /^[0-9]{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "limit" to be an integer from 1 to ${max} but received ${JSON.stringify(value.slice(0, 20))}`,
      { details: { field: 'limit', max } },
    );
  }
  return limit;
}

/** Cursors are opaque to clients: the line of the last item of the previous page, encoded. */
export function encodeCursor(line: number): string {
  return Buffer.from(JSON.stringify({ after: line }), 'utf8').toString('base64url');
}

function parseCursor(value: string): number {
  let after: unknown;
  try {
    after = (JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { after?: unknown })
      .after;
  } catch (error) {
    throw badCursor(value, error);
  }
  if (typeof after !== 'number' || !Number.isInteger(after) || after < 0) throw badCursor(value);
  return after;
}

function badCursor(value: string, cause?: unknown): ValidationError {
  return new ValidationError(
    'INVALID_ARGUMENT',
    `Expected "cursor" to be the "nextCursor" of a previous page but received ${JSON.stringify(value.slice(0, 40))}`,
    { cause, details: { field: 'cursor' } },
  );
}
