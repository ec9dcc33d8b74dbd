import { ValidationError } from '#core/errors.ts';

export interface PreferredWait {
  /** The N the client asked for. */
  readonly requested: number;
  /** What the server waits: N, or the limit when N is larger. */
  readonly seconds: number;
}

/**
 * Reads `wait=N` from the Prefer header(s) (RFC 7240; a repeated header arrives joined with `, `).
 * Other preferences (`respond-async`, `return=…`) are ignored, as the RFC allows. An N above
 * `maxSeconds` is lowered to it (the answer's `Preference-Applied` says which N was applied).
 * @returns undefined when there is no `wait` preference.
 * @throws ValidationError `INVALID_ARGUMENT` (400) when `wait` is not a whole number of seconds,
 *   or appears twice with different values.
 */
export function readPreferWait(
  headers: Readonly<Record<string, string>>,
  maxSeconds: number,
): PreferredWait | undefined {
  const header = headers.prefer;
  if (header === undefined) return undefined;
  const values: string[] = [];
  for (const preference of header.split(',')) {
    const [token = ''] = preference.split(';');
    const eq = token.indexOf('=');
    const name = (eq < 0 ? token : token.slice(0, eq)).trim().toLowerCase();
    if (name !== 'wait') continue;
    values.push(
      eq < 0
        ? ''
        : token
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1'),
    );
  }
  if (values.length === 0) return undefined;
  const [value = ''] = values;
  if (values.some((other) => other !== value) || !/^\d{1,9}$/.test(value)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected the Prefer header to hold "wait=N" once, with N a whole number of seconds (at most ${maxSeconds} is applied) but received ${values.map((v) => JSON.stringify(`wait=${v.slice(0, 20)}`)).join(' and ')}`,
      { details: { field: 'Prefer', maxWaitSeconds: maxSeconds } },
    );
  }
  const requested = Number(value);
  return { requested, seconds: Math.min(requested, maxSeconds) };
}

/** The `Preference-Applied` header of an answer to a request that asked to wait. */
export function preferenceApplied(wait: PreferredWait): Record<string, string> {
  return { 'preference-applied': `wait=${wait.seconds}` };
}
