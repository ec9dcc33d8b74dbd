import type { JobRecord } from '#core/jobs/job-record.ts';
import type { JobStatus } from '#core/jobs/job-status.ts';
import type { PipelineResult } from '#runtime/pipeline/pipeline-types.ts';
import type { ModelInfo } from './engine.ts';

/**
 * The record changes the worker makes, as pure functions of the current record (a JobStore
 * mutation may run more than once when it loses a race, so it must depend on nothing else).
 */

/** queued → running (a new attempt) or running → running (a re-run after a lost worker). */
export function markRunning(job: JobRecord, at: Date, model: ModelInfo): JobRecord {
  return {
    ...job,
    status: 'running',
    // A retry already counted itself when it went back to `queued` (the store's rule); a re-run
    // after a lost worker did not.
    attempts: job.status === 'queued' ? Math.max(job.attempts, 1) : job.attempts + 1,
    timestamps: { ...job.timestamps, startedAt: at.toISOString() },
    progress: { step: 0, steps: job.parameters.steps },
    model: { name: model.name, version: model.version, synthetic: model.synthetic },
    error: null,
  };
}

/** running → running with the step reached. */
export function withProgress(job: JobRecord, step: number, steps: number): JobRecord {
  return { ...job, progress: { step, steps } };
}

/** running → queued, for a retry or a drained worker: the store requires attempts + 1. */
export function requeued(job: JobRecord): JobRecord {
  return { ...job, status: 'queued', attempts: job.attempts + 1, progress: null, error: null };
}

export interface OutputInfo {
  readonly key: string;
  readonly result: PipelineResult;
  readonly inferenceMs: number;
}

/** running → succeeded, with the output and the metrics. */
export function succeeded(job: JobRecord, at: Date, output: OutputInfo): JobRecord {
  const { result } = output;
  const created = Date.parse(job.timestamps.createdAt);
  const started =
    job.timestamps.startedAt === null ? at.getTime() : Date.parse(job.timestamps.startedAt);
  return {
    ...job,
    status: 'succeeded',
    output: { key: output.key, width: result.width, height: result.height, format: result.format },
    progress: { step: result.steps, steps: result.steps },
    metrics: {
      queueMs: wholeMs(started - created),
      inferenceMs: wholeMs(output.inferenceMs),
      totalMs: wholeMs(at.getTime() - created),
    },
    timestamps: { ...job.timestamps, completedAt: at.toISOString() },
    error: null,
  };
}

/** queued → expired, running → failed or canceled: a terminal state with its reason. */
export function ended(
  job: JobRecord,
  at: Date,
  status: Extract<JobStatus, 'failed' | 'canceled' | 'expired'>,
  error: { readonly code: string; readonly message: string } | null,
): JobRecord {
  return {
    ...job,
    status,
    error: error === null ? null : { code: error.code, message: error.message },
    timestamps: { ...job.timestamps, completedAt: at.toISOString() },
  };
}

function wholeMs(ms: number): number {
  return Number.isFinite(ms) ? Math.max(0, Math.round(ms)) : 0;
}
