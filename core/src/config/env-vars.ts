import { z } from 'zod';

/**
 * Zod schemas for single environment variables (a string or absent). Each reports a missing or
 * invalid value with the variable's name, what was expected and what arrived; `parseConfig` puts
 * them together so that every problem is reported at once. A blank value counts as absent.
 *
 * Presence: `{ default: x }` fills in a default, `'optional'` yields undefined when absent,
 * and anything else makes the variable required.
 */
export type Presence<T> = { readonly default: T } | 'optional' | 'required';

type Raw = string | undefined;

function present(raw: Raw): string | undefined {
  const value = raw?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function received(raw: string): string {
  return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw);
}

function variable<T, P extends Presence<T>>(
  name: string,
  expected: string,
  presence: P,
  convert: (value: string) => T | undefined,
) {
  return z
    .string()
    .optional()
    .transform((raw, context): P extends 'optional' ? T | undefined : T => {
      type Out = P extends 'optional' ? T | undefined : T;
      const value = present(raw);
      if (value === undefined) {
        if (presence === 'optional') return undefined as Out;
        if (presence !== 'required') return presence.default as Out;
        context.addIssue({ code: 'custom', message: `${name} is required: expected ${expected}` });
        return z.NEVER;
      }
      const converted = convert(value);
      if (converted === undefined) {
        context.addIssue({
          code: 'custom',
          message: `Expected ${name} to be ${expected} but received ${received(value)}`,
        });
        return z.NEVER;
      }
      return converted as Out;
    });
}

export function integerVar<P extends Presence<number>>(
  name: string,
  range: { readonly min: number; readonly max: number },
  presence: P,
) {
  return variable(name, `an integer from ${range.min} to ${range.max}`, presence, (value) => {
    if (!/^-?\d+$/.test(value)) return undefined;
    const n = Number(value);
    return Number.isSafeInteger(n) && n >= range.min && n <= range.max ? n : undefined;
  });
}

export function choiceVar<T extends string, P extends Presence<T>>(
  name: string,
  choices: readonly T[],
  presence: P,
) {
  return variable(name, `one of ${choices.join(', ')}`, presence, (value) =>
    (choices as readonly string[]).includes(value) ? (value as T) : undefined,
  );
}

/** A comma-separated, non-empty list of distinct choices. */
export function choiceListVar<T extends string, P extends Presence<readonly T[]>>(
  name: string,
  choices: readonly T[],
  presence: P,
) {
  return variable(
    name,
    `a comma-separated list of distinct values from ${choices.join(', ')}`,
    presence,
    (value): readonly T[] | undefined => {
      const items = value.split(',').map((item) => item.trim());
      const valid = items.every((item) => (choices as readonly string[]).includes(item));
      return valid && new Set(items).size === items.length ? (items as T[]) : undefined;
    },
  );
}

export function urlVar<P extends Presence<string>>(
  name: string,
  protocols: readonly string[],
  presence: P,
) {
  return variable(name, `an absolute ${protocols.join(' or ')} URL`, presence, (value) => {
    if (!URL.canParse(value)) return undefined;
    return protocols.includes(new URL(value).protocol.replace(/:$/, '')) ? value : undefined;
  });
}

export function stringVar<P extends Presence<string>>(
  name: string,
  rule: { readonly expected: string; readonly test: (value: string) => boolean },
  presence: P,
) {
  return variable(name, rule.expected, presence, (value) => (rule.test(value) ? value : undefined));
}
