import { randomBytes } from 'node:crypto';
import { link, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConflictError, DependencyError, NotFoundError } from '../errors.ts';
import { applyJobUpdate, prepareNewJob } from '../jobs/apply-job-update.ts';
import { type JobRecord, jobRecordSchema, type NewJobRecord } from '../jobs/job-record.ts';
import { jobRecordKey } from '../jobs/storage-keys.ts';
import type { JobMutation, JobStore, UpdateOptions } from '../ports.ts';
import { formatIssues, listZodIssues } from '../zod-issues.ts';
import { isErrnoException, readFileIfExists, TEMP_SUFFIX, writeFileAtomic } from './atomic-file.ts';
import { withFileLock } from './file-lock.ts';
import { KeyedMutex } from './keyed-mutex.ts';

export interface FsJobStoreOptions {
  /** The data folder; records live in `<root>/jobs/<id>.json` (the S3 key layout). */
  readonly root: string;
  /** How long an update waits for another process's lock before a DependencyError (default 5 s). */
  readonly lockTimeoutMs?: number;
}

/** Shared by every instance in the process, so two stores on one folder still serialize in memory. */
const mutex = new KeyedMutex();

/**
 * Job records as JSON files. Writes are atomic (temp file + rename), so readers never see a torn
 * record. Updates of one id serialize: in memory within the process, and through a lock file
 * (`<id>.json.lock`) across processes, so a read-modify-write never loses another writer's update.
 * `create` uses link(2), which fails if the target exists, so two creators cannot both win.
 */
export class FsJobStore implements JobStore {
  readonly #root: string;
  readonly #lockTimeoutMs: number;

  constructor(options: FsJobStoreOptions) {
    this.#root = resolve(options.root);
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
  }

  async create(job: NewJobRecord): Promise<JobRecord> {
    const record = prepareNewJob(job);
    const path = this.#pathOf(record.id);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
    await writeFile(temp, serialize(record));
    try {
      await link(temp, path);
    } catch (error) {
      if (isErrnoException(error) && error.code === 'EEXIST') {
        throw new ConflictError(`Expected a new job id but job ${record.id} already exists`, {
          details: { jobId: record.id },
        });
      }
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
    return record;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const path = this.#pathOf(id);
    const bytes = await readFileIfExists(path);
    return bytes === undefined ? undefined : parseStored(bytes, path);
  }

  async update(id: string, mutate: JobMutation, options: UpdateOptions = {}): Promise<JobRecord> {
    const path = this.#pathOf(id);
    // Records are never deleted, so a record seen here is still there under the lock. Checking
    // first also keeps lock files from appearing for ids (or folders) that do not exist.
    if ((await readFileIfExists(path)) === undefined) throw notFound(id);
    return mutex.run(path, () =>
      withFileLock(
        `${path}.lock`,
        async () => {
          const bytes = await readFileIfExists(path);
          if (bytes === undefined) throw notFound(id);
          const next = applyJobUpdate(parseStored(bytes, path), mutate, options.expectedVersion);
          await writeFileAtomic(path, serialize(next));
          return next;
        },
        { timeoutMs: this.#lockTimeoutMs },
      ),
    );
  }

  #pathOf(id: string): string {
    // jobRecordKey validates the id, so the path cannot leave the root.
    return join(this.#root, jobRecordKey(id));
  }
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`Expected job ${id} to exist but no record was found`, {
    details: { jobId: id },
  });
}

function serialize(record: JobRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

function parseStored(bytes: Buffer, path: string): JobRecord {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new DependencyError(`Expected JSON in the job record ${path} but it does not parse`, {
      cause: error,
    });
  }
  const result = jobRecordSchema.safeParse(value);
  if (!result.success) {
    // Possibly written by a newer schema version during a rolling upgrade: retryable.
    throw new DependencyError(
      `Expected a valid job record in ${path} but: ${formatIssues(listZodIssues(result.error))}`,
      { cause: result.error },
    );
  }
  return result.data;
}
