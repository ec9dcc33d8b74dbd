import { z } from 'zod';
import { jobIdSchema, laneSchema } from './job-record.ts';

/**
 * The message on a lane queue: small and versioned (DESIGN §2). The job record holds the rest, so
 * a message can be redelivered or replayed without carrying stale state.
 */
export const jobMessageSchema = z.strictObject({
  v: z.literal(1),
  jobId: jobIdSchema,
  lane: laneSchema,
  /** Correlates logs across API, queue and worker. */
  traceId: z.string().min(1).max(128),
});

export type JobMessage = z.infer<typeof jobMessageSchema>;

/** Validates an unknown value (a parsed queue body) as a JobMessage; throws a ZodError otherwise. */
export function parseJobMessage(value: unknown): JobMessage {
  return jobMessageSchema.parse(value);
}
