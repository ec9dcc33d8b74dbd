import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { formatIssues, listZodIssues } from '../zod-issues.ts';

/**
 * Turns a decoded queue body into a typed message, throwing when it does not fit (for example
 * `jobMessageSchema.parse`). Adapters run it on send (to refuse bad messages before they are
 * queued) and on receive (a message that no longer parses is left to the redrive policy).
 */
export type MessageParser<T> = (value: unknown) => T;

/** Runs `parse` and reports any failure as a ValidationError naming what was being parsed. */
export function parseMessage<T>(parse: MessageParser<T>, value: unknown, what: string): T {
  try {
    return parse(value);
  } catch (error) {
    const detail =
      error instanceof z.ZodError
        ? formatIssues(listZodIssues(error))
        : error instanceof Error
          ? error.message
          : String(error);
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected ${what} to be a valid message but: ${detail}`,
      {
        cause: error,
      },
    );
  }
}
