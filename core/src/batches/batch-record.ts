import { z } from 'zod';
import { imageFormatSchema, jobIdSchema } from '../jobs/job-record.ts';
import { JOB_STATUSES } from '../jobs/job-status.ts';

/**
 * The batch records (docs/batches.md): one record per batch with a summary of each chunk, and one
 * chunk record per run of up to `BATCH_CHUNK_SIZE` items. Items are the non-blank lines of a
 * manifest (or the entries of an inline `items` array), numbered from 1 by their line.
 */

/** Batch ids end up in storage keys, URLs and job ids: `bat_` and 32 lowercase hex digits. */
export const BATCH_ID_PATTERN = /^bat_[0-9a-f]{32}$/;
export const batchIdSchema = z.string().regex(BATCH_ID_PATTERN, {
  error: 'Expected a batch id of the form bat_ and 32 lowercase hex digits',
});

/** Items per chunk: the unit of fan-out, of tracking writes and of a results page. */
export const BATCH_CHUNK_SIZE = 100;

/** The most items a batch may hold (manifest limit); bounds the chunk list of a batch record. */
export const MAX_BATCH_ITEMS = 10_000;

/** How many line errors a batch record keeps in full (all of them stay in the chunk items). */
export const MAX_RECORDED_LINE_ERRORS = 100;

/**
 * `accepted`: stored, jobs still being created. `running`: every item has its job (or its error).
 * `completed`: every item ended and the results manifest is written. `canceled`: the caller
 * canceled it; `results` appears once every item has ended.
 */
export const BATCH_STATUSES = ['accepted', 'running', 'completed', 'canceled'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/**
 * The state of one item: `pending` until its job is created, `rejected` when its line or its
 * image was refused (no job), otherwise the status of its job.
 */
export const ITEM_STATUSES = ['pending', 'rejected', ...JOB_STATUSES] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/** Item states that never change once the job (or the refusal) is final. */
export const TERMINAL_ITEM_STATUSES: ReadonlySet<ItemStatus> = new Set([
  'rejected',
  'succeeded',
  'failed',
  'canceled',
  'expired',
]);

export function isTerminalItemStatus(status: ItemStatus): boolean {
  return TERMINAL_ITEM_STATUSES.has(status);
}

/** Batch events a webhook can subscribe to. */
export const BATCH_EVENT_TYPES = ['batch.completed', 'batch.canceled'] as const;
export type BatchEventType = (typeof BATCH_EVENT_TYPES)[number];

const isoTimestamp = z.iso.datetime({ offset: true });
const nonNegativeInt = z.int().min(0);
const positiveInt = z.int().min(1);
const errorSchema = z.strictObject({ code: z.string().min(1), message: z.string() });

export const itemCountsSchema = z.strictObject(
  Object.fromEntries(ITEM_STATUSES.map((status) => [status, nonNegativeInt])) as Record<
    ItemStatus,
    typeof nonNegativeInt
  >,
);
export type ItemCounts = z.infer<typeof itemCountsSchema>;

/** What the batch record knows of one chunk, copied from the chunk record at `chunkVersion`. */
export const chunkSummarySchema = z.strictObject({
  index: nonNegativeInt,
  firstLine: positiveInt,
  lastLine: positiveInt,
  items: positiveInt,
  /** The chunk record version these counts were taken from (0: not synced yet). */
  chunkVersion: nonNegativeInt,
  /** Every item of the chunk has a job or an error. */
  fannedOut: z.boolean(),
  counts: itemCountsSchema,
});
export type ChunkSummary = z.infer<typeof chunkSummarySchema>;

export const lineErrorSchema = z.strictObject({
  line: positiveInt,
  code: z.string().min(1),
  message: z.string(),
});
export type LineError = z.infer<typeof lineErrorSchema>;

export const batchWebhookSchema = z.strictObject({
  url: z.url(),
  events: z.array(z.enum(BATCH_EVENT_TYPES)).min(1),
});

export const batchRecordSchema = z.strictObject({
  id: batchIdSchema,
  /** The API key id that created the batch; its jobs have the same owner. */
  owner: z.string().min(1).max(256),
  status: z.enum(BATCH_STATUSES),
  source: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('inline') }),
    z.strictObject({
      kind: z.literal('manifest'),
      uploadId: z.string().min(1),
      bytes: nonNegativeInt,
    }),
  ]),
  timestamps: z.strictObject({
    createdAt: isoTimestamp,
    /** When every item had its job (or its error). */
    fannedOutAt: isoTimestamp.nullable(),
    canceledAt: isoTimestamp.nullable(),
    /** When the last item ended. */
    completedAt: isoTimestamp.nullable(),
  }),
  itemCount: positiveInt.max(MAX_BATCH_ITEMS),
  chunks: z.array(chunkSummarySchema).min(1),
  /** Lines refused when the batch was submitted: the count and the first ones in full. */
  lineErrors: z.strictObject({
    count: nonNegativeInt,
    first: z.array(lineErrorSchema).max(MAX_RECORDED_LINE_ERRORS),
  }),
  webhook: batchWebhookSchema.nullable(),
  /** The results manifest, once every item has ended. */
  results: z.strictObject({ key: z.string().min(1), items: positiveInt }).nullable(),
  /**
   * The batch's final event (`batch.completed` or `batch.canceled`), set with `results`: its id is
   * `evt_<batchId>_<sequence>` (the version that wrote it), so publishing it again repeats the id.
   */
  finalEvent: z
    .strictObject({
      type: z.enum(BATCH_EVENT_TYPES),
      sequence: positiveInt,
      published: z.boolean(),
    })
    .nullable(),
  traceId: z.string().min(1).max(128),
  version: positiveInt,
});
export type BatchRecord = z.infer<typeof batchRecordSchema>;
export type NewBatchRecord = Omit<BatchRecord, 'version'>;

export const batchItemSchema = z.strictObject({
  /** 1-based line of the manifest (inline: position in `items` + 1). */
  line: positiveInt,
  jobId: jobIdSchema.nullable(),
  status: z.enum(ITEM_STATUSES),
  /** The job record version this state was read from; 0 while the item has no job state. */
  jobVersion: nonNegativeInt,
  /** The checked edit request (defaults applied) until its job exists; then null. */
  request: z.record(z.string(), z.unknown()).nullable(),
  output: z
    .strictObject({
      key: z.string().min(1),
      width: positiveInt,
      height: positiveInt,
      format: imageFormatSchema,
    })
    .nullable(),
  error: errorSchema.nullable(),
});
export type BatchItem = z.infer<typeof batchItemSchema>;

export const batchChunkSchema = z.strictObject({
  batchId: batchIdSchema,
  index: nonNegativeInt,
  /** A fan-out step holds the chunk until `until`, so that two steps never create its jobs at once. */
  claim: z.strictObject({ token: z.string().min(1), until: isoTimestamp }).nullable(),
  fannedOut: z.boolean(),
  items: z.array(batchItemSchema).min(1).max(1000),
  version: positiveInt,
});
export type BatchChunk = z.infer<typeof batchChunkSchema>;
export type NewBatchChunk = Omit<BatchChunk, 'version'>;

/** Zero of every item status. */
export function emptyCounts(): ItemCounts {
  return Object.fromEntries(ITEM_STATUSES.map((status) => [status, 0])) as ItemCounts;
}

/** Counts of a chunk's items by status. */
export function countItems(items: readonly BatchItem[]): ItemCounts {
  const counts = emptyCounts();
  for (const item of items) counts[item.status] += 1;
  return counts;
}

/** The sum of every chunk summary. */
export function sumCounts(chunks: readonly ChunkSummary[]): ItemCounts {
  const total = emptyCounts();
  for (const chunk of chunks) {
    for (const status of ITEM_STATUSES) total[status] += chunk.counts[status];
  }
  return total;
}

/** True when every item of every chunk has ended (as far as the summaries know). */
export function allItemsEnded(batch: Pick<BatchRecord, 'chunks'>): boolean {
  return batch.chunks.every(
    (chunk) =>
      chunk.fannedOut &&
      ITEM_STATUSES.every((status) => isTerminalItemStatus(status) || chunk.counts[status] === 0),
  );
}

/** The chunk holding `line`, or undefined when the batch has no such item. */
export function chunkOfLine(
  batch: Pick<BatchRecord, 'chunks'>,
  line: number,
): ChunkSummary | undefined {
  let low = 0;
  let high = batch.chunks.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const chunk = batch.chunks[middle] as ChunkSummary;
    if (line < chunk.firstLine) high = middle - 1;
    else if (line > chunk.lastLine) low = middle + 1;
    else return chunk;
  }
  return undefined;
}
