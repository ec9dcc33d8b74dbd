import { CanceledError } from '#core/errors.ts';
import type { PipelineRequest, PipelineResult } from '#runtime/pipeline/pipeline-types.ts';
import type { Engine, EngineCallOptions, ModelInfo } from '#runtime/worker/engine.ts';
import { samplePng } from './worker-harness.ts';

export const FAKE_MODEL: ModelInfo = {
  name: 'fake-vibe',
  version: '0.0.1',
  synthetic: true,
  notice: 'a fake engine for tests',
  precision: 'float32',
};

export interface FakeEngineBehavior {
  /** Milliseconds per denoising step. @default 5 */
  readonly stepMs?: number;
  /** Throws this instead of running, for call number `call` (1-based); undefined runs normally. */
  readonly failWith?: (call: number) => unknown;
  /** Thrown by start(). */
  readonly startError?: unknown;
  /** Thrown by close(). */
  readonly closeError?: unknown;
  /** Called after each step's progress, with the 1-based call number. */
  readonly onStep?: (step: number, call: number) => void | Promise<void>;
}

/**
 * An Engine with the EditEngine's observable behaviour and none of its cost: progress after every
 * step, a stop at the next step once the signal aborts (CanceledError), and an encoded image.
 */
export class FakeEngine implements Engine {
  readonly requests: PipelineRequest[] = [];
  /** For each call: the last step it completed. */
  readonly stepsDone: number[] = [];
  starts = 0;
  closes = 0;
  readonly #behavior: FakeEngineBehavior;

  constructor(behavior: FakeEngineBehavior = {}) {
    this.#behavior = behavior;
  }

  async start(): Promise<ModelInfo> {
    this.starts += 1;
    if (this.#behavior.startError !== undefined) throw this.#behavior.startError;
    return FAKE_MODEL;
  }

  async edit(request: PipelineRequest, options: EngineCallOptions): Promise<PipelineResult> {
    this.requests.push(request);
    const call = this.requests.length;
    this.stepsDone[call - 1] = 0;
    const failure = this.#behavior.failWith?.(call);
    if (failure !== undefined) throw failure;
    const steps = request.steps ?? 4;
    for (let step = 1; step <= steps; step++) {
      await new Promise((resolve) => setTimeout(resolve, this.#behavior.stepMs ?? 5));
      if (options.signal?.aborted)
        throw new CanceledError(`Canceled before step ${step} of ${steps}`);
      this.stepsDone[call - 1] = step;
      options.onProgress?.({ step, steps });
      await this.#behavior.onStep?.(step, call);
    }
    const format = request.output?.format ?? 'png';
    return {
      image: await samplePng(32, 24),
      width: 32,
      height: 24,
      format,
      bin: { width: 1024, height: 768 },
      steps,
      seed: request.seed ?? 42,
      guidance: { mode: 'full', guidanceScale: 4.5, imageGuidanceScale: 1.2 },
      sizeMode: request.sizeMode ?? 'aligned',
      model: { name: FAKE_MODEL.name, version: FAKE_MODEL.version, synthetic: true },
      timings: { stages: {}, graphMs: 0, hostMs: 0, totalMs: 0 },
    };
  }

  async close(): Promise<void> {
    this.closes += 1;
    if (this.#behavior.closeError !== undefined) throw this.#behavior.closeError;
  }
}
