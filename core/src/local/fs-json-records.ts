import { randomBytes } from 'node:crypto';
import { link, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { DependencyError } from '../errors.ts';
import { formatIssues, listZodIssues } from '../zod-issues.ts';
import { isErrnoException, readFileIfExists, TEMP_SUFFIX, writeFileAtomic } from './atomic-file.ts';
import { withFileLock } from './file-lock.ts';
import { KeyedMutex } from './keyed-mutex.ts';

export interface FsJsonRecordsOptions {
  /** The data folder; a record's key is its path below it (the S3 key layout). */
  readonly root: string;
  /** How long an update waits for another process's lock before a DependencyError. @default 5000 */
  readonly lockTimeoutMs?: number;
  /** Pretty-print with this indent (records people read by hand); compact when absent. */
  readonly indent?: number;
}

/** Shared by every instance in the process, so two stores on one folder serialize in memory. */
const mutex = new KeyedMutex();

/**
 * JSON records as files, the local twin of the S3 stores (job, batch records). Writes are atomic
 * (temp file + rename), so readers never see a torn record. `create` uses link(2), which fails if
 * the target exists, so two creators cannot both win. Updates of one key serialize: in memory
 * within the process, and through a lock file (`<file>.lock`) across processes, so a
 * read-modify-write never loses another writer's update. Records are never deleted.
 */
export class FsJsonRecords {
  readonly #root: string;
  readonly #lockTimeoutMs: number;
  readonly #indent: number | undefined;

  constructor(options: FsJsonRecordsOptions) {
    this.#root = resolve(options.root);
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
    this.#indent = options.indent;
  }

  /** Writes a new record; `exists` makes the error when one is already there. */
  async create(key: string, record: unknown, exists: () => Error): Promise<void> {
    const path = this.#pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
    await writeFile(temp, this.#serialize(record));
    try {
      await link(temp, path);
    } catch (error) {
      if (isErrnoException(error) && error.code === 'EEXIST') throw exists();
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
  }

  /**
   * Reads and validates one record; undefined when there is none.
   * @param what names the record in messages, e.g. "job record".
   */
  async read<T>(key: string, schema: z.ZodType<T>, what: string): Promise<T | undefined> {
    const path = this.#pathOf(key);
    const bytes = await readFileIfExists(path);
    return bytes === undefined ? undefined : parseStored(bytes, path, schema, what);
  }

  /**
   * Read-modify-write under the locks. `apply` returns the next record, or undefined to keep the
   * current one; `missing` makes the error when there is no record.
   */
  async update<T>(
    key: string,
    schema: z.ZodType<T>,
    what: string,
    apply: (current: T) => T | undefined,
    missing: () => Error,
  ): Promise<T> {
    const path = this.#pathOf(key);
    // Checking first keeps lock files from appearing for keys (or folders) that do not exist.
    if ((await readFileIfExists(path)) === undefined) throw missing();
    return mutex.run(path, () =>
      withFileLock(
        `${path}.lock`,
        async () => {
          const bytes = await readFileIfExists(path);
          if (bytes === undefined) throw missing();
          const current = parseStored(bytes, path, schema, what);
          const next = apply(current);
          if (next === undefined) return current;
          await writeFileAtomic(path, this.#serialize(next));
          return next;
        },
        { timeoutMs: this.#lockTimeoutMs },
      ),
    );
  }

  /** Keys are validated by their key helpers (jobRecordKey, batchRecordKey), so paths stay inside. */
  #pathOf(key: string): string {
    return join(this.#root, key);
  }

  #serialize(record: unknown): string {
    return `${JSON.stringify(record, null, this.#indent)}\n`;
  }
}

function parseStored<T>(bytes: Buffer, path: string, schema: z.ZodType<T>, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new DependencyError(`Expected JSON in the ${what} ${path} but it does not parse`, {
      cause: error,
    });
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    // Possibly written by a newer schema version during a rolling upgrade: retryable.
    throw new DependencyError(
      `Expected a valid ${what} in ${path} but: ${formatIssues(listZodIssues(result.error))}`,
      { cause: result.error },
    );
  }
  return result.data;
}
