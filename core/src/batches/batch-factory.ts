import { randomUUID } from 'node:crypto';
import { type ItemSeed, layoutBatch } from './batch-layout.ts';
import type { NewBatchChunk, NewBatchRecord } from './batch-record.ts';

/** A fresh batch id, unique per call. */
export function newBatchId(): string {
  return `bat_${randomUUID().replaceAll('-', '')}`;
}

/**
 * A valid new batch with its chunks, for tests: `items` requests on lines 1..items (the request is
 * a plain edit), then the given refused lines after them.
 */
export function batchFactory(
  options: {
    readonly id?: string;
    readonly owner?: string;
    readonly items?: number;
    readonly chunkSize?: number;
    readonly rejected?: number;
  } = {},
): { batch: NewBatchRecord; chunks: NewBatchChunk[] } {
  const id = options.id ?? newBatchId();
  const count = options.items ?? 3;
  const rejected = options.rejected ?? 0;
  const seeds: ItemSeed[] = [];
  for (let line = 1; line <= count; line++) {
    seeds.push({
      line,
      request: { image: { url: `https://example.com/${line}.png` }, instruction: 'make it winter' },
    });
  }
  for (let line = count + 1; line <= count + rejected; line++) {
    seeds.push({ line, error: { code: 'INVALID_ARGUMENT', message: 'Expected a JSON object' } });
  }
  const { chunks, summaries } = layoutBatch(id, seeds, options.chunkSize);
  const batch: NewBatchRecord = {
    id,
    owner: options.owner ?? 'key_test',
    status: 'accepted',
    source: { kind: 'inline' },
    timestamps: {
      createdAt: '2026-11-27T12:00:00.000Z',
      fannedOutAt: null,
      canceledAt: null,
      completedAt: null,
    },
    itemCount: seeds.length,
    chunks: summaries,
    lineErrors: {
      count: rejected,
      first: seeds.flatMap((seed) => ('error' in seed ? [{ line: seed.line, ...seed.error }] : [])),
    },
    webhook: null,
    results: null,
    finalEvent: null,
    traceId: 'trace_test',
  };
  return { batch, chunks };
}
