import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { settingsError } from './settings-error.ts';

/** The retention periods CloudWatch Logs accepts, in days. */
const ALLOWED = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

/**
 * Converts a number of days to CloudWatch's RetentionDays.
 * @throws ValidationError naming `observability.logRetentionDays` when CloudWatch has no such period.
 */
export function logRetention(days: number): RetentionDays {
  if (!(ALLOWED as readonly number[]).includes(days)) {
    throw settingsError(
      'observability.logRetentionDays',
      `must be one of ${ALLOWED.join(', ')} but is ${days}`,
      days,
    );
  }
  // RetentionDays is a numeric enum whose values are the day counts listed above.
  return days as RetentionDays;
}
