import type { JobEvent } from '../jobs/job-event.ts';
import { jobEventFor, jobEventId } from '../jobs/job-event.ts';
import type { JobRecord } from '../jobs/job-record.ts';

/**
 * `edit.progress` events: published by the worker after a progress write, at most one per
 * PROGRESS_EVENT_INTERVAL_MS per job, and only for a job whose webhook subscribes to them, so
 * that a 50-step job does not cost 50 deliveries. The worker's progress writes (every 500 ms at
 * most) stay as they are; this gate thins the events, not the writes.
 */
export const PROGRESS_EVENT_INTERVAL_MS = 2_000;

/**
 * The progress event of the record a progress write just produced. Its id is that version's
 * (`evt_<job>_<version>`), which no status event shares, since every write makes a new version.
 */
export function jobProgressEvent(job: JobRecord, occurredAt: Date): JobEvent {
  const event = jobEventFor(job, occurredAt);
  return {
    ...event,
    id: jobEventId(job.id, job.version),
    type: 'edit.progress',
    job: { ...event.job, progress: job.progress },
  };
}

/** Per-job throttle of progress events; one instance per job run. */
export class ProgressEventGate {
  readonly #intervalMs: number;
  #lastAt = Number.NEGATIVE_INFINITY;

  constructor(intervalMs: number = PROGRESS_EVENT_INTERVAL_MS) {
    this.#intervalMs = intervalMs;
  }

  /**
   * True (and the time is taken) when `job` subscribes to `edit.progress` and the last event went
   * out at least the interval before `now`.
   */
  take(job: JobRecord, now: number): boolean {
    if (job.webhook?.events.includes('edit.progress') !== true) return false;
    if (now - this.#lastAt < this.#intervalMs) return false;
    this.#lastAt = now;
    return true;
  }
}
