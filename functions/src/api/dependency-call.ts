import { DependencyError } from '#core/errors.ts';

/**
 * Runs one store or queue call with a deadline. A call that does not settle in time counts as the
 * dependency being unavailable (a retryable DependencyError, answered 503). The call itself is not
 * aborted (the ports take no signal), so its effect may still land later; callers order their
 * writes so that a late landing leaves nothing a client could see.
 */
export async function callDependency<T>(
  operation: string,
  timeoutMs: number,
  run: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new DependencyError(
          `Expected ${operation} to answer within ${timeoutMs} ms but it did not`,
          { details: { operation, timeoutMs } },
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([run(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
