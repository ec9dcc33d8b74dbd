import type { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors.ts';
import { FsJsonRecords } from '../local/fs-json-records.ts';
import type { UpdateOptions } from '../ports.ts';
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

/**
 * Batch and chunk records as JSON files, with the FsJobStore's guarantees (FsJsonRecords): atomic
 * writes, exclusive create, and updates serialized in the process and across processes.
 */
export class FsBatchStore implements BatchStore {
  readonly #records: FsJsonRecords;

  constructor(options: FsBatchStoreOptions) {
    this.#records = new FsJsonRecords(options);
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
    await this.#records.create(
      key,
      record,
      () =>
        new ConflictError(`Expected a new record but ${what} already exists`, {
          details: { key },
        }),
    );
  }

  #read<T>(key: string, schema: z.ZodType<T>): Promise<T | undefined> {
    return this.#records.read(key, schema, 'batch record');
  }

  #update<T>(
    key: string,
    schema: z.ZodType<T>,
    what: string,
    apply: (current: T) => T | undefined,
  ): Promise<T> {
    return this.#records.update(
      key,
      schema,
      'batch record',
      apply,
      () =>
        new NotFoundError(`Expected ${what} to exist but no record was found`, {
          details: { key },
        }),
    );
  }
}
