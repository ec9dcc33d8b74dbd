import type { S3Client } from '@aws-sdk/client-s3';
import { ConflictError, NotFoundError } from '../errors.ts';
import { applyJobUpdate, prepareNewJob } from '../jobs/apply-job-update.ts';
import { type JobRecord, jobRecordSchema, type NewJobRecord } from '../jobs/job-record.ts';
import { jobRecordKey } from '../jobs/storage-keys.ts';
import type { JobMutation, JobStore, UpdateOptions } from '../ports.ts';
import { dependencyError } from './aws-errors.ts';
import {
  isConditionFailure,
  type PutCondition,
  putJsonObject,
  readJsonObject,
  type S3Location,
} from './s3-json-object.ts';

export interface S3JobStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Read-modify-write rounds before a lost race becomes a ConflictError (default 8). */
  readonly maxAttempts?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Job records as JSON objects under `jobs/<id>.json`. S3 is strongly consistent (read-your-writes).
 * Races are settled by S3 conditional writes: `create` puts with `If-None-Match: *`, `update` puts
 * with `If-Match: <ETag read>`, so of two writers only one wins (412 PreconditionFailed or
 * 409 ConditionalRequestConflict for the other). The loser re-reads and re-applies its mutation,
 * or fails with ConflictError when the caller pinned `expectedVersion`.
 * fauxqs 1.9.2 ignores both headers on PutObject (docs/ports.md); the guard needs real S3.
 */
export class S3JobStore implements JobStore {
  readonly #s3: S3Location;
  readonly #maxAttempts: number;

  constructor(options: S3JobStoreOptions) {
    this.#s3 = { client: options.client, bucket: options.bucket };
    this.#maxAttempts = options.maxAttempts ?? 8;
  }

  async create(job: NewJobRecord): Promise<JobRecord> {
    const record = prepareNewJob(job);
    const key = jobRecordKey(record.id);
    try {
      await this.#put(key, record, { IfNoneMatch: '*' });
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new ConflictError(`Expected a new job id but job ${record.id} already exists`, {
          cause: error,
          details: { jobId: record.id },
        });
      }
      throw dependencyError('S3 PutObject (create job)', error, { bucket: this.#s3.bucket, key });
    }
    return record;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return (await this.#read(id))?.record;
  }

  async update(id: string, mutate: JobMutation, options: UpdateOptions = {}): Promise<JobRecord> {
    const key = jobRecordKey(id);
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.#read(id);
      if (current === undefined) {
        throw new NotFoundError(`Expected job ${id} to exist but no record was found`, {
          details: { jobId: id },
        });
      }
      const next = applyJobUpdate(current.record, mutate, options.expectedVersion);
      try {
        await this.#put(key, next, { IfMatch: current.etag });
        return next;
      } catch (error) {
        if (!isConditionFailure(error)) {
          throw dependencyError('S3 PutObject (update job)', error, {
            bucket: this.#s3.bucket,
            key,
          });
        }
        if (options.expectedVersion !== undefined || attempt >= this.#maxAttempts) {
          throw new ConflictError(
            `Expected to update job ${id} from version ${current.record.version} but another writer changed it first` +
              (options.expectedVersion === undefined ? ` (${attempt} attempts)` : ''),
            { cause: error, details: { jobId: id, readVersion: current.record.version, attempt } },
          );
        }
        // Jittered backoff so that racing writers do not collide again in lockstep.
        await sleep(Math.random() * 20 * attempt);
      }
    }
  }

  async #read(id: string): Promise<{ record: JobRecord; etag: string } | undefined> {
    const read = await readJsonObject(this.#s3, jobRecordKey(id), jobRecordSchema, 'job record');
    return read === undefined ? undefined : { record: read.value, etag: read.etag };
  }

  async #put(key: string, record: JobRecord, condition: PutCondition): Promise<void> {
    await putJsonObject(this.#s3, key, record, condition);
  }
}
