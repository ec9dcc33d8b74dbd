import { ValidationError } from '#core/errors.ts';

/**
 * The synth-time error for a setting that is invalid on its own or in combination with another.
 * The message names the setting by its path (e.g. `lanes.batch.maxAttempts`) so the fix is obvious
 * from the `cdk synth` output; `details.setting` carries the same path for tests and tooling.
 */
export function settingsError(
  setting: string,
  message: string,
  received?: unknown,
): ValidationError {
  return new ValidationError('INVALID_ARGUMENT', `Invalid setting "${setting}": ${message}`, {
    details: { setting, received },
  });
}
