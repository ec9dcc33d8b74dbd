import { describeValue, ValidationError } from '#core/errors.ts';

/** The two ways a submission may give its deadline (at most one of them). */
export interface DeadlineFields {
  /** An ISO 8601 timestamp with a time zone, e.g. `2026-11-27T12:05:00Z`. */
  readonly at?: string | undefined;
  /** Seconds from the submission. */
  readonly seconds?: number | undefined;
}

/** The longest deadline any configuration may allow (waiting.maxDeadlineSeconds ≤ this). */
export const DEADLINE_SECONDS_CAP = 14 * 86_400;

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Shape check of `deadline` (the request schema's): an ISO timestamp with a time zone. */
export function checkDeadlineAt(value: unknown): string {
  if (typeof value !== 'string' || !ISO_WITH_ZONE.test(value) || Number.isNaN(Date.parse(value))) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "deadline" to be an ISO 8601 timestamp with a time zone (e.g. "2026-11-27T12:05:00Z") but received ${describeValue(value)}`,
      { details: { field: 'deadline' } },
    );
  }
  return value;
}

/** Shape check of `deadlineSeconds` (the request schema's): a positive whole number. */
export function checkDeadlineSeconds(value: unknown): number {
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < 1 ||
    value > DEADLINE_SECONDS_CAP
  ) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "deadlineSeconds" to be an integer from 1 to ${DEADLINE_SECONDS_CAP} but received ${describeValue(value)}`,
      { details: { field: 'deadlineSeconds' } },
    );
  }
  return value;
}

/**
 * The job's deadline as stored (an ISO timestamp, or null for none): a job that has not started by
 * then ends `expired` and never runs (the worker checks it when it receives the job).
 * @throws ValidationError `INVALID_ARGUMENT` (400) when both fields are given, or the deadline is
 *   not at least 1 s and at most `maxSeconds` after `now`.
 */
export function resolveDeadline(
  fields: DeadlineFields | undefined,
  now: number,
  maxSeconds: number,
): string | null {
  const at = fields?.at;
  const seconds = fields?.seconds;
  if (at !== undefined && seconds !== undefined) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      'Expected at most one of "deadline" (a timestamp) and "deadlineSeconds" (seconds from now) but received both',
      { details: { fields: ['deadline', 'deadlineSeconds'] } },
    );
  }
  if (seconds !== undefined) {
    if (seconds > maxSeconds) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected "deadlineSeconds" to be an integer from 1 to ${maxSeconds} but received ${seconds}`,
        { details: { field: 'deadlineSeconds', maxSeconds } },
      );
    }
    return new Date(now + seconds * 1000).toISOString();
  }
  if (at === undefined) return null;
  const time = Date.parse(at);
  const earliest = now + 1000;
  const latest = now + maxSeconds * 1000;
  if (time < earliest || time > latest) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "deadline" to be from ${new Date(earliest).toISOString()} to ${new Date(latest).toISOString()} (1 s to ${maxSeconds} s from now) but received ${JSON.stringify(at)}`,
      {
        details: {
          field: 'deadline',
          earliest: new Date(earliest).toISOString(),
          latest: new Date(latest).toISOString(),
        },
      },
    );
  }
  return new Date(time).toISOString();
}
