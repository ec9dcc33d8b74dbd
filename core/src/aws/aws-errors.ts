import { DependencyError } from '../errors.ts';

/** The parts of an SDK v3 error the adapters look at (ServiceException and network errors). */
interface SdkErrorShape {
  readonly name?: unknown;
  readonly Code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

function shapeOf(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

/** The HTTP status of a failed SDK call, when the server answered. */
export function httpStatusOf(error: unknown): number | undefined {
  const status = shapeOf(error).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * True when the SDK error carries one of the AWS error codes `names` (in `name`, or in `Code`,
 * which the SQS JSON protocol fills with the long `AWS.SimpleQueueService.<Name>` form).
 */
export function hasAwsErrorName(error: unknown, ...names: readonly string[]): boolean {
  const { name, Code } = shapeOf(error);
  return names.some(
    (wanted) =>
      name === wanted ||
      Code === wanted ||
      (typeof Code === 'string' && Code.endsWith(`.${wanted}`)),
  );
}

/** True when the call was aborted through its AbortSignal. */
export function isAbortError(error: unknown): boolean {
  return shapeOf(error).name === 'AbortError';
}

/** Wraps an SDK failure as a retryable DependencyError that keeps the SDK error as `cause`. */
export function dependencyError(
  operation: string,
  error: unknown,
  details: Readonly<Record<string, unknown>>,
): DependencyError {
  const { name } = shapeOf(error);
  const status = httpStatusOf(error);
  return new DependencyError(
    `Expected ${operation} to succeed but it failed with ${typeof name === 'string' ? name : 'an error'}${status === undefined ? '' : ` (HTTP ${status})`}`,
    {
      cause: error,
      details: { operation, ...details, ...(status === undefined ? {} : { status }) },
    },
  );
}
