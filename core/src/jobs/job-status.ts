import { ConflictError } from '../errors.ts';

/** Every state a job can be in. */
export const JOB_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'canceled',
  'expired',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** States a job never leaves. */
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set([
  'succeeded',
  'failed',
  'canceled',
  'expired',
]);

/**
 * The edges of the state machine (DESIGN §5). `running -> queued` is a retry after a retryable
 * failure. A non-terminal state may also "move" to itself, so that progress and other details
 * can be written without a state change.
 */
const NEXT: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  queued: ['queued', 'running', 'canceled', 'expired'],
  running: ['running', 'succeeded', 'failed', 'canceled', 'queued'],
  succeeded: [],
  failed: [],
  canceled: [],
  expired: [],
};

export function isTerminalStatus(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** True when a record in state `from` may be written with state `to`. Pure. */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return NEXT[from].includes(to);
}

/**
 * Throws a ConflictError naming the current state when `from -> to` is not allowed, so that a late
 * or repeated writer (at-least-once delivery) can see what won: `running` never overwrites
 * `succeeded`, and a terminal state is never left.
 */
export function assertTransition(from: JobStatus, to: JobStatus, jobId?: string): void {
  if (canTransition(from, to)) return;
  const allowed = NEXT[from];
  const subject = jobId === undefined ? 'the job' : `job ${jobId}`;
  throw new ConflictError(
    `Expected a transition allowed from "${from}" but received "${from}" -> "${to}" for ${subject}; ` +
      (allowed.length === 0
        ? `"${from}" is terminal and allows no further change`
        : `allowed: ${allowed.join(', ')}`),
    { details: { jobId, currentStatus: from, requestedStatus: to, allowed } },
  );
}
