import { z } from 'zod';
import { batchIdSchema } from './batch-record.ts';

/**
 * A step of a batch that does not fit in the request that asked for it, on the batch task queue
 * (docs/batches.md): `fan-out` creates the jobs of one chunk, `cancel` cancels the jobs of one
 * chunk of a canceled batch. Small and versioned like a job message; the records hold the rest,
 * so a task can be delivered twice and run again without harm.
 */
export const batchTaskSchema = z.strictObject({
  v: z.literal(1),
  kind: z.enum(['fan-out', 'cancel']),
  batchId: batchIdSchema,
  chunk: z.int().min(0).max(99_999),
  /** Correlates logs with the request that created or canceled the batch. */
  traceId: z.string().min(1).max(128),
});

export type BatchTask = z.infer<typeof batchTaskSchema>;

/** The MessageParser of the batch task queue. */
export function parseBatchTask(value: unknown): BatchTask {
  return batchTaskSchema.parse(value);
}
