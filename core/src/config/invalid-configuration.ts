import { ConfigError } from '../errors.ts';

/**
 * One ConfigError for every problem of a configuration at once, so an operator fixes them in one
 * go: "Invalid <what> (N problems):" then one line each, and `details.issues` for machines.
 */
export function invalidConfiguration(what: string, issues: readonly string[]): ConfigError {
  return new ConfigError(
    `Invalid ${what} (${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}):\n- ${issues.join('\n- ')}`,
    { details: { issues: [...issues] } },
  );
}
