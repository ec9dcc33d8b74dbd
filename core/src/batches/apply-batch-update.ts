import type { z } from 'zod';
import { ConflictError, ValidationError } from '../errors.ts';
import { formatIssues, listZodIssues } from '../zod-issues.ts';
import {
  type BatchChunk,
  type BatchRecord,
  type BatchStatus,
  batchChunkSchema,
  batchRecordSchema,
  isTerminalItemStatus,
  type NewBatchChunk,
  type NewBatchRecord,
} from './batch-record.ts';
import type { BatchMutation, ChunkMutation } from './batch-store.ts';

/**
 * The store-independent half of the BatchStore: checks of new records and of updates, shared by
 * the local and the S3 adapter so that both refuse exactly the same things.
 */

const NEXT: Readonly<Record<BatchStatus, readonly BatchStatus[]>> = {
  accepted: ['accepted', 'running', 'completed', 'canceled'],
  running: ['running', 'completed', 'canceled'],
  completed: ['completed'],
  canceled: ['canceled'],
};

function parse<T>(schema: z.ZodType<T>, candidate: unknown, what: string): T {
  const result = schema.safeParse(candidate);
  if (!result.success) {
    const issues = listZodIssues(result.error);
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected ${what} to be valid but: ${formatIssues(issues)}`,
      { details: { issues } },
    );
  }
  return result.data;
}

function checkVersion(
  what: string,
  current: { readonly version: number },
  expectedVersion: number | undefined,
): void {
  if (expectedVersion !== undefined && current.version !== expectedVersion) {
    throw new ConflictError(
      `Expected ${what} at version ${expectedVersion} but it is at version ${current.version}`,
      { details: { expectedVersion, currentVersion: current.version } },
    );
  }
}

export function prepareNewBatch(batch: NewBatchRecord): BatchRecord {
  return parse(batchRecordSchema, { ...batch, version: 1 }, `the new batch ${batch.id}`);
}

export function prepareNewChunk(chunk: NewBatchChunk): BatchChunk {
  return parse(batchChunkSchema, { ...chunk, version: 1 }, `the new chunk ${chunk.index}`);
}

/**
 * Runs `mutate` on a copy of `current` and checks the result. Resolves with undefined when the
 * mutation changed nothing (no write).
 */
export function applyBatchUpdate(
  current: BatchRecord,
  mutate: BatchMutation,
  expectedVersion: number | undefined,
): BatchRecord | undefined {
  checkVersion(`batch ${current.id}`, current, expectedVersion);
  const next = mutate(structuredClone(current));
  if (next === undefined) return undefined;
  const what = `the update of batch ${current.id}`;
  if (next.id !== current.id || next.owner !== current.owner) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected ${what} to keep its id and owner but received ${JSON.stringify(next.id)} of ${JSON.stringify(next.owner)}`,
    );
  }
  if (!NEXT[current.status].includes(next.status)) {
    const allowed = NEXT[current.status];
    throw new ConflictError(
      `Expected a batch transition allowed from "${current.status}" (${allowed.join(', ')}) but received "${current.status}" -> "${next.status}" for batch ${current.id}`,
      {
        details: {
          batchId: current.id,
          currentStatus: current.status,
          requestedStatus: next.status,
          allowed,
        },
      },
    );
  }
  const layout = (batch: BatchRecord) =>
    JSON.stringify([
      batch.itemCount,
      batch.chunks.map((c) => [c.index, c.firstLine, c.lastLine, c.items]),
    ]);
  if (layout(next) !== layout(current)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected ${what} to keep its items and chunk layout but it changed them`,
    );
  }
  return parse(batchRecordSchema, { ...next, version: current.version + 1 }, what);
}

/** Like applyBatchUpdate, for a chunk: same lines, and an ended job's item is final. */
export function applyChunkUpdate(
  current: BatchChunk,
  mutate: ChunkMutation,
  expectedVersion: number | undefined,
): BatchChunk | undefined {
  const name = `chunk ${current.index} of batch ${current.batchId}`;
  checkVersion(name, current, expectedVersion);
  const next = mutate(structuredClone(current));
  if (next === undefined) return undefined;
  if (next.batchId !== current.batchId || next.index !== current.index) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected the update of ${name} to keep its batch id and index`,
    );
  }
  const lines = (chunk: BatchChunk) => chunk.items.map((item) => item.line).join(',');
  if (lines(next) !== lines(current)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected the update of ${name} to keep its items (lines ${current.items[0]?.line} to ${current.items.at(-1)?.line})`,
    );
  }
  for (const [position, before] of current.items.entries()) {
    const after = next.items[position] as BatchChunk['items'][number];
    if (after.jobVersion < before.jobVersion) {
      throw new ConflictError(
        `Expected item ${before.line} of batch ${current.batchId} to move to a newer job state but it went from job version ${before.jobVersion} back to ${after.jobVersion}`,
        { details: { line: before.line, jobVersion: before.jobVersion } },
      );
    }
    // An ended job never changes; a jobless end (a refused or canceled line) only gives way to
    // the state of a job that was created for the line after all.
    const final = isTerminalItemStatus(before.status) && before.jobVersion > 0;
    if (final && (after.status !== before.status || after.jobVersion !== before.jobVersion)) {
      throw new ConflictError(
        `Expected item ${before.line} of batch ${current.batchId} to stay "${before.status}" (its job has ended) but received "${after.status}"`,
        { details: { line: before.line, currentStatus: before.status } },
      );
    }
  }
  return parse(
    batchChunkSchema,
    { ...next, version: current.version + 1 },
    `the update of ${name}`,
  );
}
