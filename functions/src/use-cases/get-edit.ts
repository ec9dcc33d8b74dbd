import { NotFoundError } from '#core/errors.ts';
import { JOB_ID_PATTERN, type JobRecord } from '#core/jobs/job-record.ts';
import type { ApiContext } from '../api/api-context.ts';
import { queuePosition } from '../api/waiting/queue-position.ts';
import { type EditView, toEditView } from './edit-view.ts';

/**
 * Reads a job record of `owner`, or throws NotFoundError (404). Another owner's job and an id that
 * no job can have (outside the id alphabet, answered without a store call) look the same: absent.
 */
export async function readJob(ctx: ApiContext, id: string, owner: string): Promise<JobRecord> {
  const record = JOB_ID_PATTERN.test(id)
    ? await ctx.dependency('job store get', () => ctx.jobs.get(id))
    : undefined;
  if (record === undefined || record.owner !== owner) {
    throw new NotFoundError(
      `Expected the id of a submitted edit but no job ${JSON.stringify(id.slice(0, 130))} exists`,
      { details: { id: id.slice(0, 130) } },
    );
  }
  return record;
}

/**
 * `GET /v1/edits/{id}`: the job's view, with a fresh presigned URL for a succeeded output and the
 * queue position of a queued job. `record` skips the read when the caller has just made it.
 */
export async function getEdit(
  ctx: ApiContext,
  id: string,
  owner: string,
  record: JobRecord | undefined = undefined,
): Promise<EditView> {
  const job = record ?? (await readJob(ctx, id, owner));
  return editViewOf(ctx, job);
}

async function editViewOf(ctx: ApiContext, record: JobRecord): Promise<EditView> {
  const outputKey = record.status === 'succeeded' ? record.output?.key : undefined;
  const output =
    outputKey === undefined
      ? undefined
      : await ctx.dependency('blob store sign', () =>
          ctx.blobs.signedDownloadUrl(outputKey, {
            expiresInSeconds: ctx.config.signedUrlTtlSeconds,
          }),
        );
  return toEditView(record, output, ctx.clock.now(), await queuePosition(ctx, record));
}
