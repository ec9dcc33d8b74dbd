import type { ModelInfo } from '#runtime/engine/thread-messages.ts';
import type {
  PipelineRequest,
  PipelineResult,
  ProgressEvent,
} from '#runtime/pipeline/pipeline-types.ts';

export type { ModelInfo } from '#runtime/engine/thread-messages.ts';

/** What the worker passes with each edit. */
export interface EngineCallOptions {
  /** Called after each denoising step. */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Aborting cancels the run at its next denoising step (the run rejects with CanceledError). */
  readonly signal?: AbortSignal;
}

/**
 * The part of the inference engine the worker needs. `EditEngine` (runtime/src/engine) satisfies it
 * structurally; tests pass fakes. An implementation runs the pipeline off the caller's event loop,
 * so heartbeats and signals stay live during a job.
 */
export interface Engine {
  /**
   * Loads the model once; resolves with what the job records will name.
   * @throws BundleError or ExecutionProviderError: the worker then refuses to start.
   */
  start(): Promise<ModelInfo>;
  /**
   * Runs one edit.
   * @throws ValidationError (bad input, permanent), CanceledError (aborted), InferenceError
   *   (`retryable` when the inference thread died and a fresh one will take the next call).
   */
  edit(request: PipelineRequest, options: EngineCallOptions): Promise<PipelineResult>;
  /** Stops the engine after the run in flight; safe to call more than once. */
  close(): Promise<void>;
}
