import { ValidationError } from '#core/errors.ts';

/**
 * The retry schedule of retryable job failures: exponential from 5 s, doubling per attempt, capped
 * at 300 s, with "equal jitter" (a delay drawn from the upper half of the nominal value) so that
 * jobs failed by one outage do not all come back at the same moment.
 */
export const BACKOFF = { baseSeconds: 5, factor: 2, maxSeconds: 300 } as const;

/** The nominal (jitter-free) delay after failed attempt `attempt` (1-based), in seconds. */
export function nominalBackoffSeconds(attempt: number): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "attempt" to be an integer of at least 1 but received ${String(attempt)}`,
    );
  }
  // Clamp the exponent first: 2 ** 1000 is Infinity, and the cap is reached long before.
  const exponent = Math.min(attempt - 1, 30);
  return Math.min(BACKOFF.maxSeconds, BACKOFF.baseSeconds * BACKOFF.factor ** exponent);
}

/**
 * Whole seconds to keep a released job message invisible after failed attempt `attempt`: uniform in
 * [nominal / 2, nominal], rounded up (SQS visibility takes whole seconds).
 * @param random a source of [0, 1) numbers; tests pass a fixed one.
 */
export function backoffSeconds(attempt: number, random: () => number = Math.random): number {
  const nominal = nominalBackoffSeconds(attempt);
  const jitter = Math.min(Math.max(random(), 0), 1);
  return Math.ceil(nominal / 2 + (jitter * nominal) / 2);
}
