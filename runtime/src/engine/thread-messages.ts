import {
  AppError,
  BundleError,
  CanceledError,
  DependencyError,
  type ErrorCode,
  ExecutionProviderError,
  InferenceError,
  ValidationError,
} from '#core/errors.ts';
import type {
  PipelineRequest,
  PipelineResult,
  ProgressEvent,
} from '#runtime/pipeline/pipeline-types.ts';
import type { EngineOptions } from './pipeline-resources.ts';

/** Messages between the caller's thread and the inference thread. */
export type ToThread =
  | {
      readonly type: 'edit';
      readonly jobId: number;
      readonly request: PipelineRequest;
      readonly cancelFlag: Int32Array;
    }
  | { readonly type: 'close' }
  /** Tests only: the thread dies of an uncaught error at its next turn of the event loop. */
  | { readonly type: 'crash-for-test' };

export type FromThread =
  | { readonly type: 'ready'; readonly loadMs: number; readonly model: ModelInfo }
  | { readonly type: 'startup-failed'; readonly error: SerializedError }
  | { readonly type: 'progress'; readonly jobId: number; readonly progress: ProgressEvent }
  | { readonly type: 'result'; readonly jobId: number; readonly result: PipelineResult }
  | { readonly type: 'failed'; readonly jobId: number; readonly error: SerializedError };

export interface ThreadInit {
  readonly options: EngineOptions;
}

export interface ModelInfo {
  readonly name: string;
  readonly version: string;
  readonly synthetic: boolean;
  readonly notice: string;
  readonly precision: string;
}

/** Errors lose their class when they cross a thread; this keeps code, message and details. */
export interface SerializedError {
  readonly name: string;
  readonly code: ErrorCode;
  readonly message: string;
  readonly retryable: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly stack?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof AppError) {
    return {
      name: error.name,
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      ...(error.details ? { details: error.details } : {}),
      ...(error.stack ? { stack: error.stack } : {}),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    name: error instanceof Error ? error.name : 'Error',
    code: 'INTERNAL',
    message,
    retryable: false,
    ...(error instanceof Error && error.stack ? { stack: error.stack } : {}),
  };
}

/** Rebuilds the AppError subclass so callers can branch on `instanceof` and `code` as usual. */
export function reviveError(serialized: SerializedError): AppError {
  const options = serialized.details ? { details: serialized.details } : {};
  let error: AppError;
  switch (serialized.code) {
    case 'INVALID_ARGUMENT':
    case 'INVALID_IMAGE':
    case 'UNSUPPORTED_IMAGE_FORMAT':
    case 'IMAGE_TOO_LARGE':
    case 'IMAGE_TOO_SMALL':
    case 'UNSUPPORTED_ASPECT_RATIO':
    case 'INVALID_INSTRUCTION':
      error = new ValidationError(serialized.code, serialized.message, options);
      break;
    case 'BUNDLE_INVALID':
    case 'BUNDLE_MISSING':
      error = new BundleError(serialized.code, serialized.message, options);
      break;
    case 'EXECUTION_PROVIDER_UNAVAILABLE':
      error = new ExecutionProviderError(serialized.message, options);
      break;
    case 'CANCELED':
      error = new CanceledError(serialized.message, options);
      break;
    case 'DEPENDENCY_UNAVAILABLE':
      error = new DependencyError(serialized.message, options);
      break;
    default:
      error = new InferenceError(serialized.message, {
        ...options,
        retryable: serialized.retryable,
      });
  }
  if (serialized.stack) error.stack = serialized.stack;
  return error;
}
