import { randomBytes } from 'node:crypto';
import { link, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { ConflictError, DependencyError, NotFoundError } from '../errors.ts';
import {
  isErrnoException,
  readFileIfExists,
  TEMP_SUFFIX,
  writeFileAtomic,
} from '../local/atomic-file.ts';
import { withFileLock } from '../local/file-lock.ts';
import { KeyedMutex } from '../local/keyed-mutex.ts';
import type { UpdateOptions } from '../ports.ts';
import { formatIssues, listZodIssues } from '../zod-issues.ts';
import {
  applyBatchUpdate,
  applyChunkUpdate,
  prepareNewBatch,
  prepareNewChunk,
} from './apply-batch-update.ts';
import { batchChunkKey, batchRecordKey } from './batch-keys.ts';
import {
  type BatchChunk,
  type BatchRecord,
  batchChunkSchema,
  batchRecordSchema,
  type NewBatchChunk,
  type NewBatchRecord,
} from './batch-record.ts';
import type { BatchMutation, BatchStore, ChunkMutation } from './batch-store.ts';

export interface FsBatchStoreOptions {
  /** The data folder (the local bucket); records live under `<root>/batches/`. */
  readonly root: string;
  /** How long an update waits for another process's lock (default 5 s). */
  readonly lockTimeoutMs?: number;
}

/** Shared by every instance in the process, so two stores on one folder serialize in memory. */
const mutex = new KeyedMutex();

/**
 * Batch and chunk records as JSON files, with the FsJobStore's guarantees: atomic writes (temp file
 * and rename), create with link(2) (refused when the file exists), and updates serialized in the
 * process and, through `<file>.lock`, across processes.
 */
export class FsBatchStore implements BatchStore {
  readonly #root: string;
  readonly #lockTimeoutMs: number;

  constructor(options: FsBatchStoreOptions) {
    this.#root = resolve(options.root);
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
  }

  async create(batch: NewBatchRecord): Promise<BatchRecord> {
    const record = prepareNewBatch(batch);
    await this.#createFile(batchRecordKey(record.id), record, `batch ${record.id}`);
    return record;
  }

  async get(id: string): Promise<BatchRecord | undefined> {
    return this.#read(batchRecordKey(id), batchRecordSchema);
  }

  async update(
    id: string,
    mutate: BatchMutation,
    options: UpdateOptions = {},
  ): Promise<BatchRecord> {
    return this.#update(batchRecordKey(id), batchRecordSchema, `batch ${id}`, (current) =>
      applyBatchUpdate(current, mutate, options.expectedVersion),
    );
  }

  async createChunk(chunk: NewBatchChunk): Promise<BatchChunk> {
    const record = prepareNewChunk(chunk);
    const key = batchChunkKey(record.batchId, record.index);
    await this.#createFile(key, record, `chunk ${record.index} of batch ${record.batchId}`);
    return record;
  }

  async getChunk(batchId: string, index: number): Promise<BatchChunk | undefined> {
    return this.#read(batchChunkKey(batchId, index), batchChunkSchema);
  }

  async updateChunk(
    batchId: string,
    index: number,
    mutate: ChunkMutation,
    options: UpdateOptions = {},
  ): Promise<BatchChunk> {
    return this.#update(
      batchChunkKey(batchId, index),
      batchChunkSchema,
      `chunk ${index} of batch ${batchId}`,
      (current) => applyChunkUpdate(current, mutate, options.expectedVersion),
    );
  }

  async #createFile(key: string, record: unknown, what: string): Promise<void> {
    const path = join(this.#root, key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
    await writeFile(temp, serialize(record));
    try {
      await link(temp, path);
    } catch (error) {
      if (isErrnoException(error) && error.code === 'EEXIST') {
        throw new ConflictError(`Expected a new record but ${what} already exists`, {
          details: { key },
        });
      }
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
  }

  async #read<T>(key: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const path = join(this.#root, key);
    const bytes = await readFileIfExists(path);
    return bytes === undefined ? undefined : parseStored(bytes, path, schema);
  }

  async #update<T>(
    key: string,
    schema: z.ZodType<T>,
    what: string,
    apply: (current: T) => T | undefined,
  ): Promise<T> {
    const path = join(this.#root, key);
    // Records are never deleted: checking first keeps lock files from appearing for unknown ids.
    if ((await readFileIfExists(path)) === undefined) throw notFound(what, key);
    return mutex.run(path, () =>
      withFileLock(
        `${path}.lock`,
        async () => {
          const bytes = await readFileIfExists(path);
          if (bytes === undefined) throw notFound(what, key);
          const current = parseStored(bytes, path, schema);
          const next = apply(current);
          if (next === undefined) return current;
          await writeFileAtomic(path, serialize(next));
          return next;
        },
        { timeoutMs: this.#lockTimeoutMs },
      ),
    );
  }
}

function notFound(what: string, key: string): NotFoundError {
  return new NotFoundError(`Expected ${what} to exist but no record was found`, {
    details: { key },
  });
}

function serialize(record: unknown): string {
  return `${JSON.stringify(record)}\n`;
}

function parseStored<T>(bytes: Buffer, path: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new DependencyError(`Expected JSON in the batch record ${path} but it does not parse`, {
      cause: error,
    });
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    // Possibly written by a newer schema version during a rolling upgrade: retryable.
    throw new DependencyError(
      `Expected a valid batch record in ${path} but: ${formatIssues(listZodIssues(result.error))}`,
      { cause: result.error },
    );
  }
  return result.data;
}
