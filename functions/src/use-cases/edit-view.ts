import type { JobRecord } from '#core/jobs/job-record.ts';
import { isTerminalStatus } from '#core/jobs/job-status.ts';
import type { SignedUrl } from '#core/ports.ts';
import type { QueuePosition } from '../api/waiting/queue-position.ts';

/** The public links of a job. Relative, so they hold behind any host or proxy. */
export function editLinks(id: string): { self: string; cancel: string } {
  const self = `/v1/edits/${encodeURIComponent(id)}`;
  return { self, cancel: `${self}/cancel` };
}

/**
 * What `GET /v1/edits/{id}` shows of a job record. Internal fields (storage keys, owner, version,
 * checksum) stay out. Timings come from the worker's metrics when it wrote them; until then the
 * queue time and the total are derived from the timestamps (`null` where not known yet).
 */
export function toEditView(
  record: JobRecord,
  output: SignedUrl | undefined,
  now: number,
  /** Where a queued job stands in its lane (waiting/queue-position.ts); null otherwise. */
  queue: QueuePosition | null = null,
) {
  const created = Date.parse(record.timestamps.createdAt);
  const started =
    record.timestamps.startedAt === null ? undefined : Date.parse(record.timestamps.startedAt);
  const completed =
    record.timestamps.completedAt === null ? undefined : Date.parse(record.timestamps.completedAt);
  const queueMs =
    record.metrics?.queueMs ??
    (started !== undefined ? started - created : record.status === 'queued' ? now - created : null);
  const totalMs =
    record.metrics?.totalMs ??
    (completed !== undefined && isTerminalStatus(record.status) ? completed - created : null);
  return {
    id: record.id,
    status: record.status,
    lane: record.lane,
    instruction: record.instruction,
    parameters: record.parameters,
    input: { width: record.input.width, height: record.input.height, format: record.input.format },
    createdAt: record.timestamps.createdAt,
    startedAt: record.timestamps.startedAt,
    completedAt: record.timestamps.completedAt,
    attempts: record.attempts,
    /** If the job has not started by then it ends `expired`. */
    deadline: record.deadline,
    queue,
    progress: record.progress,
    timings: { queueMs, inferenceMs: record.metrics?.inferenceMs ?? null, totalMs },
    error: record.error,
    model: record.model,
    output:
      record.output === null || output === undefined
        ? null
        : {
            url: output.url,
            expiresAt: output.expiresAt.toISOString(),
            width: record.output.width,
            height: record.output.height,
            format: record.output.format,
          },
    links: editLinks(record.id),
  };
}

export type EditView = ReturnType<typeof toEditView>;
