import { ConflictError, NotFoundError } from '../errors.ts';
import { applyJobUpdate, prepareNewJob } from '../jobs/apply-job-update.ts';
import { type JobRecord, jobRecordSchema, type NewJobRecord } from '../jobs/job-record.ts';
import { jobRecordKey } from '../jobs/storage-keys.ts';
import type { JobMutation, JobStore, UpdateOptions } from '../ports.ts';
import { FsJsonRecords } from './fs-json-records.ts';

export interface FsJobStoreOptions {
  /** The data folder; records live in `<root>/jobs/<id>.json` (the S3 key layout). */
  readonly root: string;
  /** How long an update waits for another process's lock before a DependencyError (default 5 s). */
  readonly lockTimeoutMs?: number;
}

/**
 * Job records as JSON files (`<root>/jobs/<id>.json`), pretty-printed for people who look. Atomic
 * writes, exclusive create and updates serialized within and across processes: FsJsonRecords.
 */
export class FsJobStore implements JobStore {
  readonly #records: FsJsonRecords;

  constructor(options: FsJobStoreOptions) {
    this.#records = new FsJsonRecords({ ...options, indent: 2 });
  }

  async create(job: NewJobRecord): Promise<JobRecord> {
    const record = prepareNewJob(job);
    // jobRecordKey validates the id, so the path cannot leave the root.
    await this.#records.create(
      jobRecordKey(record.id),
      record,
      () =>
        new ConflictError(`Expected a new job id but job ${record.id} already exists`, {
          details: { jobId: record.id },
        }),
    );
    return record;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return this.#records.read(jobRecordKey(id), jobRecordSchema, 'job record');
  }

  async update(id: string, mutate: JobMutation, options: UpdateOptions = {}): Promise<JobRecord> {
    return this.#records.update(
      jobRecordKey(id),
      jobRecordSchema,
      'job record',
      (current) => applyJobUpdate(current, mutate, options.expectedVersion),
      () =>
        new NotFoundError(`Expected job ${id} to exist but no record was found`, {
          details: { jobId: id },
        }),
    );
  }
}
