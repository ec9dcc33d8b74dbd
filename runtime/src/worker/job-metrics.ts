import type { JobRecord } from '#core/jobs/job-record.ts';
import type { JobStatus } from '#core/jobs/job-status.ts';
import type { JobStore } from '#core/ports.ts';

/**
 * The names the stack's alarms and dashboard read (infra/lib/job-metrics.ts; a test keeps the two
 * equal). They are repeated here because the worker image carries only core/ and runtime/.
 */
export const JOB_METRIC_NAMES = {
  namespace: 'VIBE',
  laneDimension: 'Lane',
  /** Count, 1 per job that ended `succeeded` (0 on a failed job's line). */
  succeeded: 'JobsSucceeded',
  /** Count, 1 per job that ended `failed` after its last attempt (0 on a succeeded job's line). */
  failed: 'JobsFailed',
  /** Milliseconds of the engine call of a succeeded job. */
  inferenceMs: 'InferenceMs',
  /** Milliseconds from the job's creation to the start of the run that ended it. */
  queueMs: 'QueueMs',
} as const;

const FINISHED: ReadonlySet<JobStatus> = new Set<JobStatus>(['succeeded', 'failed']);

/**
 * One CloudWatch embedded-metric-format line (a JSON object, no newline) for a job that ended
 * `succeeded` or `failed`: both counts, and the timings the record has, under the `VIBE`
 * namespace with the `Lane` dimension. CloudWatch Logs turns the line into metrics when the
 * awslogs driver ships it; no PutMetricData permission is needed. `jobId` and `status` ride along
 * as plain properties for Logs Insights. Undefined for any other status.
 */
export function jobMetricLine(record: JobRecord, timestampMs: number): string | undefined {
  if (!FINISHED.has(record.status)) return undefined;
  const n = JOB_METRIC_NAMES;
  const values: Record<string, number> = {
    [n.succeeded]: record.status === 'succeeded' ? 1 : 0,
    [n.failed]: record.status === 'failed' ? 1 : 0,
  };
  const units: Record<string, 'Count' | 'Milliseconds'> = {
    [n.succeeded]: 'Count',
    [n.failed]: 'Count',
  };
  const { createdAt, startedAt } = record.timestamps;
  const queueMs =
    record.metrics?.queueMs ??
    (startedAt === null ? undefined : Math.max(0, Date.parse(startedAt) - Date.parse(createdAt)));
  if (record.metrics !== null) {
    values[n.inferenceMs] = record.metrics.inferenceMs;
    units[n.inferenceMs] = 'Milliseconds';
  }
  if (queueMs !== undefined && Number.isFinite(queueMs)) {
    values[n.queueMs] = queueMs;
    units[n.queueMs] = 'Milliseconds';
  }
  return JSON.stringify({
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: n.namespace,
          Dimensions: [[n.laneDimension]],
          Metrics: Object.entries(units).map(([Name, Unit]) => ({ Name, Unit })),
        },
      ],
    },
    [n.laneDimension]: record.lane,
    ...values,
    jobId: record.id,
    status: record.status,
  });
}

/**
 * The job store with a tap on its writes: every update that moves a job from a live state into
 * `succeeded` or `failed` calls `onFinished` with the stored record. The worker writes each job's
 * end exactly once (a late or duplicate writer is refused by the store), so each finished job is
 * counted once, with the timings the worker recorded.
 */
export function withJobMetrics(store: JobStore, onFinished: (record: JobRecord) => void): JobStore {
  return {
    create: (job) => store.create(job),
    get: (id) => store.get(id),
    async update(id, mutate, options) {
      let before: JobStatus | undefined;
      const updated = await store.update(
        id,
        (job) => {
          before = job.status;
          return mutate(job);
        },
        options,
      );
      if (FINISHED.has(updated.status) && before !== undefined && !FINISHED.has(before)) {
        onFinished(updated);
      }
      return updated;
    },
  };
}

/** Writes the EMF line of each finished job to `write` (stdout in the container). */
export function emitJobMetrics(
  write: (line: string) => void,
  now: () => number = Date.now,
): (record: JobRecord) => void {
  return (record) => {
    const line = jobMetricLine(record, now());
    if (line !== undefined) write(`${line}\n`);
  };
}
