import { ValidationError } from '../errors.ts';
import {
  BATCH_CHUNK_SIZE,
  type BatchItem,
  type ChunkSummary,
  countItems,
  type NewBatchChunk,
} from './batch-record.ts';

/** One item of a new batch: its checked request, or the error that refused its line. */
export type ItemSeed =
  | { readonly line: number; readonly request: Readonly<Record<string, unknown>> }
  | { readonly line: number; readonly error: { readonly code: string; readonly message: string } };

/**
 * Cuts the items of a new batch (in line order) into chunks of `chunkSize`, each with its summary
 * for the batch record. Refused lines are items too (`rejected`, no job), so that the item list and
 * the results manifest account for every line.
 */
export function layoutBatch(
  batchId: string,
  seeds: readonly ItemSeed[],
  chunkSize: number = BATCH_CHUNK_SIZE,
): { readonly chunks: NewBatchChunk[]; readonly summaries: ChunkSummary[] } {
  if (seeds.length === 0) {
    throw new ValidationError('INVALID_ARGUMENT', 'Expected at least one item but received none');
  }
  for (let i = 1; i < seeds.length; i++) {
    if ((seeds[i] as ItemSeed).line <= (seeds[i - 1] as ItemSeed).line) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected items in increasing line order but line ${(seeds[i] as ItemSeed).line} follows ${(seeds[i - 1] as ItemSeed).line}`,
      );
    }
  }
  const chunks: NewBatchChunk[] = [];
  const summaries: ChunkSummary[] = [];
  for (let start = 0; start < seeds.length; start += chunkSize) {
    const items = seeds.slice(start, start + chunkSize).map(toItem);
    const index = chunks.length;
    const fannedOut = items.every((item) => item.status !== 'pending');
    chunks.push({ batchId, index, claim: null, fannedOut, items });
    summaries.push({
      index,
      firstLine: (items[0] as BatchItem).line,
      lastLine: (items.at(-1) as BatchItem).line,
      items: items.length,
      chunkVersion: 1,
      fannedOut,
      counts: countItems(items),
    });
  }
  return { chunks, summaries };
}

function toItem(seed: ItemSeed): BatchItem {
  const base = { line: seed.line, jobId: null, jobVersion: 0, output: null };
  return 'error' in seed
    ? { ...base, status: 'rejected', request: null, error: { ...seed.error } }
    : { ...base, status: 'pending', request: { ...seed.request }, error: null };
}
