import { ValidationError } from '#core/errors.ts';
import { backoffSeconds } from './backoff.ts';

/** The knobs of the job loop. `workerSettings` fills in the defaults. */
export interface WorkerSettings {
  /** The lease (visibility timeout) of a received job; the heartbeat extends it every half. */
  readonly leaseSeconds: number;
  /** Runs of a job before a retryable failure fails it; below the queue's maxReceiveCount. */
  readonly maxAttempts: number;
  /** Smallest gap between two progress writes to the job record (the last step is always written). */
  readonly progressIntervalMs: number;
  /** Delay before a retry after failed attempt `attempt` (1-based), in whole seconds. */
  readonly backoffSeconds: (attempt: number) => number;
  /** Long poll of the first lane when every lane was empty, seconds (0 to 20). */
  readonly idleWaitSeconds: number;
  /** How long `close()` lets the current job finish before it is released, by default. */
  readonly drainMs: number;
  /** How long `close()` waits for the engine to stop before giving up on it. */
  readonly engineCloseTimeoutMs: number;
}

export type WorkerSettingsInput = Pick<WorkerSettings, 'leaseSeconds' | 'maxAttempts'> &
  Partial<WorkerSettings>;

export const DEFAULT_PROGRESS_INTERVAL_MS = 500;

/**
 * Fills in defaults: progress at most every 500 ms, the exponential backoff of `backoff.ts`, a 20 s
 * long poll for a single lane and 2 s for several (the others are polled between long polls), a
 * 110 s drain (ECS stops a task 120 s after SIGTERM at most) and 10 s for the engine to stop.
 * @param lanes how many lanes the worker polls, which sets the default idle wait.
 */
export function workerSettings(input: WorkerSettingsInput, lanes = 1): WorkerSettings {
  const settings: WorkerSettings = {
    progressIntervalMs: DEFAULT_PROGRESS_INTERVAL_MS,
    backoffSeconds: (attempt) => backoffSeconds(attempt),
    idleWaitSeconds: lanes > 1 ? 2 : 20,
    drainMs: 110_000,
    engineCloseTimeoutMs: 10_000,
    ...input,
  };
  checkRange('leaseSeconds', settings.leaseSeconds, 1, 43_200);
  checkRange('maxAttempts', settings.maxAttempts, 1, 100);
  checkRange('progressIntervalMs', settings.progressIntervalMs, 0, 3_600_000);
  checkRange('idleWaitSeconds', settings.idleWaitSeconds, 0, 20);
  checkRange('drainMs', settings.drainMs, 0, 3_600_000);
  checkRange('engineCloseTimeoutMs', settings.engineCloseTimeoutMs, 0, 3_600_000);
  return Object.freeze(settings);
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected worker setting "${name}" to be an integer from ${min} to ${max} but received ${String(value)}`,
      { details: { field: name, min, max, received: value } },
    );
  }
}
