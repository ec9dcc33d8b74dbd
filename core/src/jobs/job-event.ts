import { z } from 'zod';
import { type JobRecord, jobEventTypeSchema, jobRecordSchema } from './job-record.ts';

const snapshotShape = jobRecordSchema
  .pick({
    id: true,
    owner: true,
    lane: true,
    status: true,
    version: true,
    attempts: true,
    output: true,
    error: true,
    metrics: true,
    model: true,
    webhook: true,
    batchId: true,
  })
  // Only `edit.progress` events carry it (core/src/webhooks/progress-events.ts).
  .extend({ progress: jobRecordSchema.shape.progress.optional() });

/**
 * A state change of a job, published to the event queue for webhook delivery. Delivery is at least
 * once, so `id` is stable: the same transition always yields the same id (it is derived from the job
 * id and the record version that the transition wrote), and receivers deduplicate on it.
 */
export const jobEventSchema = z.strictObject({
  v: z.literal(1),
  id: z.string().min(1).max(200),
  type: jobEventTypeSchema,
  occurredAt: z.iso.datetime({ offset: true }),
  job: snapshotShape,
});

export type JobEvent = z.infer<typeof jobEventSchema>;

/** The stable event id of the transition that wrote `version` of job `jobId`. */
export function jobEventId(jobId: string, version: number): string {
  return `evt_${jobId}_${version}`;
}

/** Builds the event for a record just written by a transition. */
export function jobEventFor(job: JobRecord, occurredAt: Date): JobEvent {
  return {
    v: 1,
    id: jobEventId(job.id, job.version),
    type: `edit.${job.status}`,
    occurredAt: occurredAt.toISOString(),
    job: {
      id: job.id,
      owner: job.owner,
      lane: job.lane,
      status: job.status,
      version: job.version,
      attempts: job.attempts,
      output: job.output,
      error: job.error,
      metrics: job.metrics,
      model: job.model,
      webhook: job.webhook,
      batchId: job.batchId,
    },
  };
}

export function parseJobEvent(value: unknown): JobEvent {
  return jobEventSchema.parse(value);
}
