import { CanceledError } from '#core/errors.ts';
import { VIBE_ARCHITECTURE } from '#runtime/bundle/graph-contract.ts';
import { FlowDpmSolver } from './denoise/dpm-solver.ts';
import { flowSchedule } from './denoise/flow-schedule.ts';
import { combineGuidance, DitBatch, type ResolvedGuidance } from './denoise/guidance.ts';
import { float32Tensor, requireOutput } from './graph-runner.ts';
import type { PipelineHooks, PipelineResources } from './pipeline-types.ts';
import type { StageClock } from './stage-clock.ts';
import { toFloat32 } from './tensor-io.ts';

export interface DenoiseInput {
  readonly steps: number;
  readonly guidance: ResolvedGuidance;
  /** Scaled image latent [32 × h × w]; zeros for text-to-image. */
  readonly imageLatent: Float32Array;
  readonly cond: Float32Array;
  readonly noise: Float32Array;
  readonly latentHeight: number;
  readonly latentWidth: number;
}

/**
 * The denoising loop (reference §2.7, §4, §5): one batched DiT run per step with the guidance
 * branches side by side, guidance combined in float32, DPM-Solver++ 2M on the float sigma while the
 * DiT sees the integer timestep. Cancellation is checked before each step.
 */
export async function denoise(
  resources: PipelineResources,
  input: DenoiseInput,
  clock: StageClock,
  hooks: PipelineHooks,
): Promise<Float32Array> {
  const graphs = clock.timedRunner(resources.graphs);
  const { scheduler } = resources.manifest.config;
  const { latentHeight: h, latentWidth: w, guidance } = input;
  const schedule = flowSchedule(input.steps, {
    flowShift: scheduler.flowShift,
    numTrainTimesteps: scheduler.numTrainTimesteps,
  });
  const solver = new FlowDpmSolver(schedule);
  const batch = new DitBatch({
    mode: guidance.mode,
    imageLatent: input.imageLatent,
    cond: input.cond,
    hidNull: resources.hidNull,
    precision: resources.precision,
    latentHeight: h,
    latentWidth: w,
    timestepScale: scheduler.timestepScale,
  });
  const latentChannels = VIBE_ARCHITECTURE.latentChannels;
  const guided = new Float32Array(latentChannels * h * w);
  let sample = input.noise.slice();
  let next = new Float32Array(sample.length);

  for (let step = 0; step < input.steps; step += 1) {
    if (hooks.isCanceled?.()) {
      throw new CanceledError(`Canceled before denoising step ${step + 1} of ${input.steps}`);
    }
    const feeds = clock.stage('denoise_host', () => {
      batch.setLatent(sample);
      return {
        hidden_states: batch.hiddenStatesTensor(),
        encoder_hidden_states: batch.encoderHiddenStatesTensor(),
        timestep: float32Tensor(batch.timestep(schedule.timesteps[step]!), [batch.size]),
      };
    });
    const outputs = await graphs.run('dit', await feeds);
    await clock.stage('denoise_host', () => {
      const noisePred = toFloat32(requireOutput(outputs, 'dit', 'noise_pred'));
      combineGuidance(
        guidance.mode,
        noisePred,
        guidance.guidanceScale,
        guidance.imageGuidanceScale,
        guided,
      );
      if (step === 0) hooks.onTensor?.('noise_pred_step0', guided, [1, latentChannels, h, w]);
      solver.step(step, guided, sample, next);
      [sample, next] = [next, sample];
    });
    hooks.onProgress?.({ step: step + 1, steps: input.steps });
  }
  return sample;
}
