import { ConflictError } from '#core/errors.ts';
import type { JobRecord } from '#core/jobs/job-record.ts';
import { isTerminalStatus } from '#core/jobs/job-status.ts';
import type { ApiContext } from '../api/api-context.ts';
import { recordBatchJob } from '../api/batches/record-batch-job.ts';
import { readJob } from './get-edit.ts';
import { publishEvent } from './submit-edit.ts';

export interface CancelResult {
  readonly id: string;
  readonly status: 'canceled';
  /**
   * `immediately`: the job was queued and will never run. `at-next-step`: it was running; the
   * record is canceled now and the worker, which watches it, stops at its next denoising step.
   */
  readonly canceled: 'immediately' | 'at-next-step';
}

/** Races with the worker are settled by the record's version; give up after this many. */
const MAX_ROUNDS = 4;

/**
 * `POST /v1/edits/{id}/cancel`. A compare-and-set on the record's version: if the worker moved the
 * job meanwhile (queued -> running, or to a final state), the decision is made again on the fresh
 * record.
 * @throws NotFoundError for an unknown id; ConflictError (409) for a finished job, with its status.
 */
export async function cancelEdit(
  ctx: ApiContext,
  id: string,
  caller: { readonly requestId: string; readonly owner: string },
): Promise<CancelResult> {
  const { requestId, owner } = caller;
  for (let round = 1; ; round++) {
    const record = await readJob(ctx, id, owner);
    if (isTerminalStatus(record.status)) {
      throw new ConflictError(
        `Expected a queued or running job to cancel but job ${id} is already "${record.status}"; a finished job cannot be canceled`,
        { details: { id, status: record.status } },
      );
    }
    const canceled = record.status === 'queued' ? 'immediately' : 'at-next-step';
    let updated: JobRecord;
    try {
      updated = await ctx.dependency('job store update', () =>
        ctx.jobs.update(id, (job) => markCanceled(job, ctx.clock.now()), {
          expectedVersion: record.version,
        }),
      );
    } catch (error) {
      if (error instanceof ConflictError && round < MAX_ROUNDS) continue;
      throw error;
    }
    await publishEvent(ctx, updated, requestId);
    await recordBatchJob(ctx, updated, requestId);
    return { id, status: 'canceled', canceled };
  }
}

function markCanceled(job: JobRecord, now: number): JobRecord {
  return {
    ...job,
    status: 'canceled',
    timestamps: { ...job.timestamps, completedAt: new Date(now).toISOString() },
    error: { code: 'CANCELED', message: 'Canceled at the request of the caller' },
  };
}
