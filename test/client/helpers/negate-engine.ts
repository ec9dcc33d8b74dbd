import sharp from 'sharp';
import { CanceledError } from '#core/errors.ts';
import type { PipelineRequest, PipelineResult } from '#runtime/pipeline/pipeline-types.ts';
import type { Engine, EngineCallOptions, ModelInfo } from '#runtime/worker/engine.ts';

export const NEGATE_MODEL: ModelInfo = {
  name: 'negate-test-engine',
  version: '0.0.1',
  synthetic: true,
  notice: 'a test engine that negates the colours; its output is not a real edit',
  precision: 'float32',
};

export interface NegateEngineOptions {
  /** Milliseconds per denoising step, so that progress can be watched. @default 20 */
  readonly stepMs?: number;
  /** Called before each edit runs (tests hold a job in `running` with it). */
  readonly beforeRun?: (request: PipelineRequest) => Promise<void>;
}

/**
 * An Engine for client, CLI and playground tests: it reports every step like the real engine,
 * stops at the next step once aborted, and returns the input with its colours negated, so that a
 * before/after is visibly different, at the input's size, in the requested format.
 */
export class NegateEngine implements Engine {
  readonly requests: PipelineRequest[] = [];
  readonly #stepMs: number;
  readonly #beforeRun: NegateEngineOptions['beforeRun'];

  constructor(options: NegateEngineOptions = {}) {
    this.#stepMs = options.stepMs ?? 20;
    this.#beforeRun = options.beforeRun;
  }

  async start(): Promise<ModelInfo> {
    return NEGATE_MODEL;
  }

  async edit(request: PipelineRequest, options: EngineCallOptions): Promise<PipelineResult> {
    this.requests.push(request);
    await this.#beforeRun?.(request);
    const steps = request.steps ?? 20;
    for (let step = 1; step <= steps; step++) {
      await new Promise((resolve) => setTimeout(resolve, this.#stepMs));
      if (options.signal?.aborted === true) {
        throw new CanceledError(`Canceled before step ${step} of ${steps}`);
      }
      options.onProgress?.({ step, steps });
    }
    const format = request.output?.format ?? 'png';
    const { data, info } = await sharp(request.image)
      .rotate()
      .negate({ alpha: false })
      .toFormat(format)
      .toBuffer({ resolveWithObject: true });
    return {
      image: new Uint8Array(data),
      width: info.width,
      height: info.height,
      format,
      bin: { width: info.width, height: info.height },
      steps,
      seed: request.seed ?? 42,
      guidance: { mode: 'full', guidanceScale: 4.5, imageGuidanceScale: 1.2 },
      sizeMode: request.sizeMode ?? 'aligned',
      model: { name: NEGATE_MODEL.name, version: NEGATE_MODEL.version, synthetic: true },
      timings: { stages: {}, graphMs: 0, hostMs: 0, totalMs: 0 },
    };
  }

  async close(): Promise<void> {}
}
