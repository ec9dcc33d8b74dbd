import type { PipelineRequest, PipelineResult } from '#runtime/pipeline/pipeline-types.ts';
import type { Engine, EngineCallOptions, ModelInfo } from '#runtime/worker/engine.ts';

/** How often a held job reports its (unchanging) step 0, as a slow model reports each step. */
const TICK_MS = 100;

/**
 * A real engine behind a slow first step, for tests that must act while a job runs (cancel, kill,
 * SIGTERM): the tiny bundle finishes a whole job in a few hundred milliseconds. Each job first
 * spends `holdMs` in a simulated step that reports progress 0 of N every 100 ms (so the worker's
 * cancel check runs, as it does after each real step) and ends at once when the signal aborts; then
 * the real engine runs the job. An aborted job never reaches the real engine's steps: it rejects
 * with the real engine's CanceledError.
 */
export class HeldEngine implements Engine {
  /** Milliseconds each job is held before it runs; change it between jobs. */
  holdMs: number;
  /** Jobs that entered the hold, in order. */
  readonly held: PipelineRequest[] = [];

  constructor(
    readonly inner: Engine,
    holdMs = 0,
  ) {
    this.holdMs = holdMs;
  }

  start(): Promise<ModelInfo> {
    return this.inner.start();
  }

  async edit(request: PipelineRequest, options: EngineCallOptions): Promise<PipelineResult> {
    if (this.holdMs > 0) {
      this.held.push(request);
      await hold(this.holdMs, options, request.steps ?? 0);
    }
    return this.inner.edit(request, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function hold(ms: number, options: EngineCallOptions, steps: number): Promise<void> {
  return new Promise((resolve) => {
    const { signal } = options;
    if (signal?.aborted) {
      resolve();
      return;
    }
    const until = Date.now() + ms;
    const tick = setInterval(() => {
      if (Date.now() >= until) done();
      else options.onProgress?.({ step: 0, steps });
    }, TICK_MS);
    function done(): void {
      clearInterval(tick);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
