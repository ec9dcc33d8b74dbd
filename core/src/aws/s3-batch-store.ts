import type { S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import {
  applyBatchUpdate,
  applyChunkUpdate,
  prepareNewBatch,
  prepareNewChunk,
} from '../batches/apply-batch-update.ts';
import { batchChunkKey, batchRecordKey } from '../batches/batch-keys.ts';
import {
  type BatchChunk,
  type BatchRecord,
  batchChunkSchema,
  batchRecordSchema,
  type NewBatchChunk,
  type NewBatchRecord,
} from '../batches/batch-record.ts';
import type { BatchMutation, BatchStore, ChunkMutation } from '../batches/batch-store.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { UpdateOptions } from '../ports.ts';
import { dependencyError } from './aws-errors.ts';
import {
  isConditionFailure,
  type PutCondition,
  putJsonObject,
  readJsonObject,
  type S3Location,
} from './s3-json-object.ts';

export interface S3BatchStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Read-modify-write rounds before a lost race becomes a ConflictError (default 12). */
  readonly maxAttempts?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Batch and chunk records as JSON objects under `batches/`, settled like the S3JobStore: `create`
 * puts with `If-None-Match: *`, updates put with `If-Match: <ETag read>`, and the loser of a race
 * re-reads and re-applies its mutation (jittered backoff), or fails with ConflictError when the
 * caller pinned `expectedVersion`. Workers finishing items of one batch race on its record, so the
 * default number of rounds is higher than the job store's.
 */
export class S3BatchStore implements BatchStore {
  readonly #s3: S3Location;
  readonly #maxAttempts: number;

  constructor(options: S3BatchStoreOptions) {
    this.#s3 = { client: options.client, bucket: options.bucket };
    this.#maxAttempts = options.maxAttempts ?? 12;
  }

  async create(batch: NewBatchRecord): Promise<BatchRecord> {
    const record = prepareNewBatch(batch);
    await this.#create(batchRecordKey(record.id), record, `batch ${record.id}`);
    return record;
  }

  async get(id: string): Promise<BatchRecord | undefined> {
    return (await this.#read(batchRecordKey(id), batchRecordSchema))?.record;
  }

  async update(
    id: string,
    mutate: BatchMutation,
    options: UpdateOptions = {},
  ): Promise<BatchRecord> {
    return this.#update(batchRecordKey(id), batchRecordSchema, `batch ${id}`, options, (current) =>
      applyBatchUpdate(current, mutate, options.expectedVersion),
    );
  }

  async createChunk(chunk: NewBatchChunk): Promise<BatchChunk> {
    const record = prepareNewChunk(chunk);
    const key = batchChunkKey(record.batchId, record.index);
    await this.#create(key, record, `chunk ${record.index} of batch ${record.batchId}`);
    return record;
  }

  async getChunk(batchId: string, index: number): Promise<BatchChunk | undefined> {
    return (await this.#read(batchChunkKey(batchId, index), batchChunkSchema))?.record;
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
      options,
      (current) => applyChunkUpdate(current, mutate, options.expectedVersion),
    );
  }

  async #create(key: string, record: unknown, what: string): Promise<void> {
    try {
      await this.#put(key, record, { IfNoneMatch: '*' });
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new ConflictError(`Expected a new record but ${what} already exists`, {
          cause: error,
          details: { key },
        });
      }
      throw dependencyError('S3 PutObject (create batch record)', error, {
        bucket: this.#s3.bucket,
        key,
      });
    }
  }

  async #update<T>(
    key: string,
    schema: z.ZodType<T>,
    what: string,
    options: UpdateOptions,
    apply: (current: T) => T | undefined,
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.#read(key, schema);
      if (current === undefined) {
        throw new NotFoundError(`Expected ${what} to exist but no record was found`, {
          details: { key },
        });
      }
      const next = apply(current.record);
      if (next === undefined) return current.record;
      try {
        await this.#put(key, next, { IfMatch: current.etag });
        return next;
      } catch (error) {
        if (!isConditionFailure(error)) {
          throw dependencyError('S3 PutObject (update batch record)', error, {
            bucket: this.#s3.bucket,
            key,
          });
        }
        if (options.expectedVersion !== undefined || attempt >= this.#maxAttempts) {
          throw new ConflictError(
            `Expected to update ${what} but another writer changed it first (${attempt} attempts)`,
            { cause: error, details: { key, attempt } },
          );
        }
        await sleep(Math.random() * 20 * attempt);
      }
    }
  }

  async #read<T>(
    key: string,
    schema: z.ZodType<T>,
  ): Promise<{ record: T; etag: string } | undefined> {
    const read = await readJsonObject(this.#s3, key, schema, 'batch record');
    return read === undefined ? undefined : { record: read.value, etag: read.etag };
  }

  async #put(key: string, record: unknown, condition: PutCondition): Promise<void> {
    await putJsonObject(this.#s3, key, record, condition);
  }
}
