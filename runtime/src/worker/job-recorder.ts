import { ConflictError, DependencyError } from '#core/errors.ts';
import { jobEventFor } from '#core/jobs/job-event.ts';
import type { JobRecord } from '#core/jobs/job-record.ts';
import { JOB_STATUSES, type JobStatus } from '#core/jobs/job-status.ts';
import type { EventQueue, JobStore } from '#core/ports.ts';
import { silentLog, type WorkerLog } from './worker-log.ts';

/** The outcome of a guarded write: written, or refused because the record had moved on. */
export type RecordWrite =
  | {
      readonly written: true;
      readonly job: JobRecord;
      /** False when the state change was written but its event could not be published. */
      readonly published: boolean;
    }
  | { readonly written: false; readonly status: JobStatus };

export interface JobRecorderDeps {
  readonly store: JobStore;
  readonly events: EventQueue;
  readonly now: () => number;
  readonly log?: WorkerLog;
}

/**
 * Writes the worker's changes to job records and publishes an event for every state change.
 *
 * Each write names the states it may start from. When the stored record is in another state (the API
 * canceled it, another worker finished it) nothing is written and the caller learns which state won,
 * so a late writer never overwrites a terminal record. Event ids are `evt_<job>_<version>`, stable per
 * record version, so publishing the same transition again is harmless.
 */
export class JobRecorder {
  readonly #deps: JobRecorderDeps;
  readonly #log: WorkerLog;

  constructor(deps: JobRecorderDeps) {
    this.#deps = deps;
    this.#log = deps.log ?? silentLog;
  }

  /**
   * Applies `change` to job `id` if its status is one of `from`. A publish failure after a state
   * change is logged and reported as `published: false` (the write stands).
   * @throws DependencyError when the store fails or a write race is still lost after its retries.
   */
  async write(
    id: string,
    from: readonly JobStatus[],
    change: (job: JobRecord, at: Date) => JobRecord,
  ): Promise<RecordWrite> {
    const at = new Date(this.#deps.now());
    let before: JobStatus | undefined;
    let job: JobRecord;
    try {
      job = await this.#deps.store.update(id, (current) => {
        if (!from.includes(current.status)) throw movedOn(current, from);
        before = current.status;
        return change(current, at);
      });
    } catch (error) {
      const status = currentStatusOf(error);
      if (status !== undefined) return { written: false, status };
      if (error instanceof ConflictError) {
        throw new DependencyError(
          `Expected to write job ${id} but kept losing the race to other writers; retry later`,
          { cause: error, details: { jobId: id } },
        );
      }
      throw error;
    }
    const published = job.status === before ? true : await this.publish(job, at);
    return { written: true, job, published };
  }

  /**
   * Publishes the event of `job`'s current version (again). Resolves false, with a log line, when
   * the event queue fails.
   */
  async publish(job: JobRecord, at: Date = eventTime(job, this.#deps.now)): Promise<boolean> {
    try {
      await this.#deps.events.publish(jobEventFor(job, at));
      return true;
    } catch (error) {
      this.#log.warn('could not publish the job event', {
        jobId: job.id,
        status: job.status,
        version: job.version,
        error,
      });
      return false;
    }
  }
}

function movedOn(job: JobRecord, from: readonly JobStatus[]): ConflictError {
  return new ConflictError(
    `Expected job ${job.id} to be ${from.join(' or ')} but it is "${job.status}"`,
    { details: { jobId: job.id, currentStatus: job.status, expected: from } },
  );
}

/** The status that won, from a refused write (ours or the store's state machine). */
function currentStatusOf(error: unknown): JobStatus | undefined {
  if (!(error instanceof ConflictError)) return undefined;
  const status = error.details?.currentStatus;
  return (JOB_STATUSES as readonly unknown[]).includes(status) ? (status as JobStatus) : undefined;
}

/** A terminal event republished later keeps the time of the transition. */
function eventTime(job: JobRecord, now: () => number): Date {
  const completedAt = job.timestamps.completedAt;
  return completedAt === null ? new Date(now()) : new Date(completedAt);
}
