import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConflictError, DependencyError, NotFoundError } from '../errors.ts';
import { applyJobUpdate, prepareNewJob } from '../jobs/apply-job-update.ts';
import { type JobRecord, jobRecordSchema, type NewJobRecord } from '../jobs/job-record.ts';
import { jobRecordKey } from '../jobs/storage-keys.ts';
import type { JobMutation, JobStore, UpdateOptions } from '../ports.ts';
import { formatIssues, listZodIssues } from '../zod-issues.ts';
import { dependencyError, hasAwsErrorName, httpStatusOf } from './aws-errors.ts';

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
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #maxAttempts: number;

  constructor(options: S3JobStoreOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
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
      throw dependencyError('S3 PutObject (create job)', error, { bucket: this.#bucket, key });
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
          throw dependencyError('S3 PutObject (update job)', error, { bucket: this.#bucket, key });
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
    const key = jobRecordKey(id);
    let text: string;
    let etag: string;
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      text = (await out.Body?.transformToString('utf8')) ?? '';
      etag = out.ETag ?? '';
    } catch (error) {
      if (hasAwsErrorName(error, 'NoSuchKey') || httpStatusOf(error) === 404) return undefined;
      throw dependencyError('S3 GetObject (job)', error, { bucket: this.#bucket, key });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new DependencyError(`Expected JSON in the job record ${key} but it does not parse`, {
        cause: error,
      });
    }
    const result = jobRecordSchema.safeParse(value);
    if (!result.success) {
      // Possibly written by a newer schema version during a rolling deploy: retryable.
      throw new DependencyError(
        `Expected a valid job record in ${key} but: ${formatIssues(listZodIssues(result.error))}`,
        { cause: result.error },
      );
    }
    return { record: result.data, etag };
  }

  async #put(
    key: string,
    record: JobRecord,
    condition: { IfNoneMatch: string } | { IfMatch: string },
  ): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Body: JSON.stringify(record),
        ContentType: 'application/json',
        ...condition,
      }),
    );
  }
}

/** 412 PreconditionFailed, or 409 ConditionalRequestConflict when two conditional writes overlap. */
function isConditionFailure(error: unknown): boolean {
  return (
    hasAwsErrorName(error, 'PreconditionFailed', 'ConditionalRequestConflict') ||
    httpStatusOf(error) === 412
  );
}
