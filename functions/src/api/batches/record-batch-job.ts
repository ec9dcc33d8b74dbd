import type { JobRecord } from '#core/jobs/job-record.ts';
import type { ApiContext } from '../api-context.ts';
import { describeError } from '../http-errors.ts';

/**
 * Writes a state change the API made to a batch job (a cancel through `POST /v1/edits/{id}/cancel`)
 * into its batch. Best effort: a failure is logged, and the batch catches up when the worker
 * meets the job again or a `GET /v1/batches/{id}` page shows the item (get-batch.ts).
 */
export async function recordBatchJob(
  ctx: ApiContext,
  record: JobRecord,
  requestId: string,
): Promise<void> {
  const batches = ctx.batches;
  if (batches === undefined || record.batchId === null) return;
  try {
    await ctx.dependency('batch tracking', () => batches.tracker.recordJob(record));
  } catch (error) {
    ctx.log({
      level: 'warn',
      msg: 'batch job change not recorded in its batch',
      requestId,
      jobId: record.id,
      batchId: record.batchId,
      error: describeError(error),
    });
  }
}
