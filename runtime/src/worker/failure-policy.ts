import { CanceledError, isAppError } from '#core/errors.ts';

/**
 * What a failed run means for its job, decided by type, never by message (style guide 2.5):
 * - `canceled`: a CanceledError the worker did not cause itself; the job ends `canceled`.
 * - `permanent`: an AppError that is not retryable (bad input, a bundle mismatch, a missing input
 *   blob); running again cannot help, so the job fails at once.
 * - `retryable`: an AppError marked retryable (a store or queue hiccup, a dead inference thread),
 *   or any error outside the AppError family (an unexpected fault is retried, bounded by
 *   maxAttempts, rather than losing the job to a transient file-system error).
 */
export type FailureKind = 'canceled' | 'permanent' | 'retryable';

export interface Failure {
  readonly kind: FailureKind;
  /** The stable code written into the job record (core/src/errors.ts). */
  readonly code: string;
  readonly message: string;
}

export function classifyFailure(error: unknown): Failure {
  if (error instanceof CanceledError) {
    return { kind: 'canceled', code: error.code, message: error.message };
  }
  if (isAppError(error)) {
    return {
      kind: error.retryable ? 'retryable' : 'permanent',
      code: error.code,
      message: error.message,
    };
  }
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'retryable', code: 'INTERNAL', message: `Unexpected ${name}: ${message}` };
}
