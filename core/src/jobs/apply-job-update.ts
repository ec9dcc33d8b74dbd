import { ConflictError, ValidationError } from '../errors.ts';
import type { JobMutation } from '../ports.ts';
import { formatIssues, listZodIssues } from '../zod-issues.ts';
import { type JobRecord, jobRecordSchema, type NewJobRecord } from './job-record.ts';
import { assertTransition } from './job-status.ts';

function parseRecord(candidate: unknown, what: string): JobRecord {
  const result = jobRecordSchema.safeParse(candidate);
  if (!result.success) {
    const issues = listZodIssues(result.error);
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected ${what} to be a valid job record but: ${formatIssues(issues)}`,
      { details: { issues } },
    );
  }
  return result.data;
}

/** Validates a new job for `JobStore.create` and gives it version 1. */
export function prepareNewJob(job: NewJobRecord): JobRecord {
  if (job.status !== 'queued') {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a new job with status "queued" but received "${job.status}"`,
      { details: { field: 'status', received: job.status } },
    );
  }
  return parseRecord({ ...job, version: 1 }, 'the new job');
}

/**
 * The store-independent half of `JobStore.update`: checks the expected version, runs the mutation
 * on a private copy, and checks that the result is a valid record, keeps its id, moves along the
 * state machine and never loses attempts. Returns the next record with `version + 1`.
 */
export function applyJobUpdate(
  current: JobRecord,
  mutate: JobMutation,
  expectedVersion: number | undefined,
): JobRecord {
  if (expectedVersion !== undefined && current.version !== expectedVersion) {
    throw new ConflictError(
      `Expected job ${current.id} at version ${expectedVersion} but it is at version ${current.version} (status "${current.status}")`,
      {
        details: {
          jobId: current.id,
          expectedVersion,
          currentVersion: current.version,
          currentStatus: current.status,
        },
      },
    );
  }
  const next = mutate(structuredClone(current));
  if (next.id !== current.id) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected an update of job ${current.id} to keep its id but received ${JSON.stringify(next.id)}`,
    );
  }
  assertTransition(current.status, next.status, current.id);
  if (next.attempts < current.attempts) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected attempts of job ${current.id} to stay at ${current.attempts} or grow but received ${next.attempts}`,
    );
  }
  if (current.status === 'running' && next.status === 'queued') {
    if (next.attempts !== current.attempts + 1) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected a retry (running -> queued) of job ${current.id} to set attempts to ${current.attempts + 1} but received ${next.attempts}`,
      );
    }
  }
  return parseRecord({ ...next, version: current.version + 1 }, `the update of job ${current.id}`);
}
