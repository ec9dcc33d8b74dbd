import {
  VibeApiError,
  VibeJobError,
  VibeNetworkError,
  VibeTimeoutError,
} from '#client/vibe-api-error.ts';

/**
 * How the CLI reports an error of the client: the API's code and message with its request id,
 * and the exit status (2: the request or the input was refused; 1: anything else, e.g. a server
 * that cannot be reached or a job that failed). Undefined for errors that are not the client's.
 */
export function reportClientError(
  error: unknown,
): { readonly text: string; readonly exitCode: number } | undefined {
  if (error instanceof VibeApiError) {
    const retry = error.retryAfter === undefined ? '' : ` (retry after ${error.retryAfter} s)`;
    const id = error.requestId === undefined ? '' : `\nrequest id ${error.requestId}`;
    return {
      text: `error ${error.code} (HTTP ${error.status}): ${error.message}${retry}${id}\n`,
      exitCode: error.status >= 400 && error.status < 500 && error.status !== 429 ? 2 : 1,
    };
  }
  if (error instanceof VibeJobError) {
    return { text: `error ${error.code ?? error.status}: ${error.message}\n`, exitCode: 1 };
  }
  if (error instanceof VibeNetworkError || error instanceof VibeTimeoutError) {
    return { text: `error ${error.name}: ${error.message}\n`, exitCode: 1 };
  }
  return undefined;
}
