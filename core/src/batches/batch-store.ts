import type { UpdateOptions } from '../ports.ts';
import type { BatchChunk, BatchRecord, NewBatchChunk, NewBatchRecord } from './batch-record.ts';

/**
 * A mutation of a batch or chunk record. It receives a private copy (mutating it in place is fine)
 * and returns the next record, or undefined for "nothing to change": the store then writes nothing
 * and resolves with the record as read. The store sets `version` itself.
 */
export type BatchMutation = (batch: BatchRecord) => BatchRecord | undefined;
export type ChunkMutation = (chunk: BatchChunk) => BatchChunk | undefined;

/**
 * Batch records and their chunk records: JSON objects in S3 in AWS, JSON files locally, under
 * `batches/` (batch-keys.ts). The same semantics as the JobStore (docs/ports.md): read-your-writes,
 * a version per record, and of two racing updates without `expectedVersion` both apply in some
 * order (the loser re-reads and re-runs its mutation). Every adapter passes
 * batch-store-contract.ts. Semantics are documented in docs/batches.md.
 */
export interface BatchStore {
  /**
   * Stores a new batch with `version` 1.
   * @throws ConflictError when a batch with the same id exists; ValidationError for a bad record.
   */
  create(batch: NewBatchRecord): Promise<BatchRecord>;
  get(id: string): Promise<BatchRecord | undefined>;
  /**
   * Read-modify-write guarded by the record's version. The batch state machine
   * (apply-batch-update.ts) is enforced: a final state is never left, the chunk layout never changes.
   * @throws NotFoundError, ConflictError (refused transition, stale `expectedVersion`, lost race).
   */
  update(id: string, mutate: BatchMutation, options?: UpdateOptions): Promise<BatchRecord>;
  /**
   * Stores a new chunk with `version` 1. Chunks are written before their batch record, so a chunk
   * may exist without one.
   * @throws ConflictError when the chunk exists.
   */
  createChunk(chunk: NewBatchChunk): Promise<BatchChunk>;
  getChunk(batchId: string, index: number): Promise<BatchChunk | undefined>;
  /**
   * Like `update`, for one chunk. The items keep their lines, and an item whose job has ended keeps
   * its state; `jobVersion` never goes back.
   */
  updateChunk(
    batchId: string,
    index: number,
    mutate: ChunkMutation,
    options?: UpdateOptions,
  ): Promise<BatchChunk>;
}
