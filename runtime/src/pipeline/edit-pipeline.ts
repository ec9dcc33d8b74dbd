import { validateEditParameters } from '#core/edit-parameters.ts';
import { ValidationError } from '#core/errors.ts';
import { validateInstruction } from '#core/instruction.ts';
import { VIBE_ARCHITECTURE } from '#runtime/bundle/graph-contract.ts';
import { resolveGuidance } from './denoise/guidance.ts';
import { gaussianNoise, validateInjectedNoise } from './denoise/seeded-noise.ts';
import { scaleLatent, unscaleLatent } from './denoise/vae-scaling.ts';
import { denoise } from './denoise-stage.ts';
import { requireOutput } from './graph-runner.ts';
import { decodeInput, validateGeometry } from './image/decode-input.ts';
import { encodeOutput } from './image/encode-output.ts';
import { letterboxCrop } from './image/letterbox.ts';
import { parityResampler, type Resampler, sharpResampler } from './image/resample.ts';
import { selectBin } from './image/resolution-bins.ts';
import { restoreToInput } from './image/restore-output.ts';
import { decodedToRgb, toVaeInput } from './image/vae-pixels.ts';
import type {
  PipelineHooks,
  PipelineRequest,
  PipelineResources,
  PipelineResult,
} from './pipeline-types.ts';
import { ScratchBuffers } from './scratch-buffers.ts';
import { StageClock } from './stage-clock.ts';
import { modelTensor, toFloat32 } from './tensor-io.ts';
import { encodeInstruction } from './vlm-stage.ts';

/** Pixels above this are refused from the header, before decoding (decompression bombs). */
export const DEFAULT_MAX_INPUT_PIXELS = 50_000_000;
const DEFAULT_T2I_SIZE = 1024;
const { latentChannels: LATENT_CHANNELS, vaeDownsample: DOWNSAMPLE } = VIBE_ARCHITECTURE;

/**
 * One VIBE edit end to end: decode → VLM conditioning → VAE encode → denoise → decode → restore →
 * encode. Runs wherever its resources live (the inference thread in production).
 *
 * @throws ValidationError for bad input (stable codes), CanceledError when `hooks.isCanceled`
 *   turns true between steps, InferenceError when a graph run fails.
 */
export async function runEditPipeline(
  resources: PipelineResources,
  request: PipelineRequest,
  hooks: PipelineHooks = {},
): Promise<PipelineResult> {
  const scratch = resources.scratch?.acquire() ?? new ScratchBuffers();
  try {
    return await runWithScratch(resources, request, hooks, scratch);
  } finally {
    scratch.release();
  }
}

async function runWithScratch(
  resources: PipelineResources,
  request: PipelineRequest,
  hooks: PipelineHooks,
  scratch: ScratchBuffers,
): Promise<PipelineResult> {
  const clock = new StageClock();
  const { manifest } = resources;
  const defaults = manifest.config.defaults;
  const params = validateEditParameters(request);
  const instruction = validateInstruction(request.instruction);
  const steps = params.steps ?? defaults.steps;
  const seed = params.seed ?? defaults.seed;
  const sizeMode = params.sizeMode ?? 'aligned';
  const output = params.output ?? { format: 'png' as const };
  const textToImage = request.image === undefined;
  const guidance = resolveGuidance({
    guidanceScale: params.guidanceScale ?? defaults.guidanceScale,
    imageGuidanceScale: params.imageGuidanceScale ?? defaults.imageGuidanceScale,
    textToImage,
    cfgDistilled: manifest.config.cfgDistilled,
  });
  // Parity ports upstream's kernels (torch's antialiased bicubic for the VLM, PIL's LANCZOS for the
  // VAE and the restore) to TypeScript; aligned uses libvips, ~10x faster and within a few levels.
  const resampler: Resampler = sizeMode === 'parity' ? parityResampler : sharpResampler;

  const source = request.image
    ? await clock.stage('decode', async () => {
        const decoded = await decodeInput(request.image!, {
          maxInputPixels: request.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS,
          autoOrient: sizeMode === 'aligned',
        });
        validateGeometry(decoded.width, decoded.height);
        return decoded;
      })
    : null;
  const target = source ?? textToImageTarget(request);
  const bin = selectBin(target.width, target.height);
  const latentHeight = bin.height / DOWNSAMPLE;
  const latentWidth = bin.width / DOWNSAMPLE;
  const latentSize = LATENT_CHANNELS * latentHeight * latentWidth;

  const cond = await encodeInstruction(
    resources,
    { image: source, instruction, resampler, scratch },
    clock,
    hooks,
  );

  const imageLatent = source
    ? await encodeImageLatent(resources, source, bin, resampler, clock, scratch)
    : new Float32Array(latentSize);
  hooks.onTensor?.('image_latent', imageLatent, [1, LATENT_CHANNELS, latentHeight, latentWidth]);

  const noise = await clock.stage('noise', () => {
    if (request.noise) {
      validateInjectedNoise(request.noise, latentSize);
      return request.noise;
    }
    return gaussianNoise(seed, latentSize);
  });
  hooks.onTensor?.('initial_noise', noise, [1, LATENT_CHANNELS, latentHeight, latentWidth]);

  const finalLatent = await denoise(
    resources,
    { steps, guidance, imageLatent, cond, noise, latentHeight, latentWidth },
    clock,
    hooks,
  );
  hooks.onTensor?.('final_latent', finalLatent, [1, LATENT_CHANNELS, latentHeight, latentWidth]);

  const graphs = clock.timedRunner(resources.graphs);
  const decodedFeeds = await clock.stage('vae_decode_prepare', () => {
    const unscaled = unscaleLatent(finalLatent, manifest.config.vae.scalingFactor);
    return {
      latent: modelTensor(
        unscaled,
        [1, LATENT_CHANNELS, latentHeight, latentWidth],
        resources.precision,
      ),
    };
  });
  const decodedOut = await graphs.run('vae_decoder', decodedFeeds);
  const decodedTensor = requireOutput(decodedOut, 'vae_decoder', 'image');
  const decodedImage = toFloat32(decodedTensor);
  hooks.onTensor?.('decoded', decodedImage, decodedTensor.dims);

  const restored = await clock.stage('postprocess', async () => {
    const rgb = decodedToRgb(decodedImage, bin.width, bin.height);
    const crop =
      source && sizeMode === 'parity'
        ? letterboxCrop(source.width, source.height, bin.width, bin.height)
        : null;
    return restoreToInput(rgb, bin.width, bin.height, crop, target.width, target.height, resampler);
  });
  const encoded = await clock.stage('encode', () =>
    encodeOutput(restored, target.width, target.height, output),
  );

  return {
    image: encoded,
    width: target.width,
    height: target.height,
    format: output.format,
    bin: { width: bin.width, height: bin.height },
    steps,
    seed,
    guidance: {
      mode: guidance.mode,
      guidanceScale: guidance.guidanceScale,
      imageGuidanceScale: guidance.imageGuidanceScale,
    },
    sizeMode,
    model: {
      name: manifest.model.name,
      version: manifest.model.version,
      synthetic: manifest.model.synthetic,
    },
    timings: clock.finish(),
  };
}

async function encodeImageLatent(
  resources: PipelineResources,
  source: { rgb: Uint8Array; width: number; height: number },
  bin: { width: number; height: number },
  resampler: Resampler,
  clock: StageClock,
  scratch: ScratchBuffers,
): Promise<Float32Array> {
  const graphs = clock.timedRunner(resources.graphs);
  // Upstream stretches the original image to the bin (no letterbox) before the VAE (§2.6).
  const feeds = await clock.stage('vae_preprocess', async () => {
    const stretched = await resampler.resizeRgb(
      source.rgb,
      source.width,
      source.height,
      bin.width,
      bin.height,
      'lanczos',
    );
    const pixels = toVaeInput(stretched, bin.width, bin.height, scratch);
    return { image: modelTensor(pixels, [1, 3, bin.height, bin.width], resources.precision) };
  });
  const encoded = await graphs.run('vae_encoder', feeds);
  return clock.stage('vae_scale', () =>
    scaleLatent(
      toFloat32(requireOutput(encoded, 'vae_encoder', 'latent')).slice(),
      resources.manifest.config.vae.scalingFactor,
    ),
  );
}

function textToImageTarget(request: PipelineRequest): { width: number; height: number } {
  const width = request.width ?? DEFAULT_T2I_SIZE;
  const height = request.height ?? DEFAULT_T2I_SIZE;
  for (const [field, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 256 || value > 4096) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected "${field}" for text-to-image to be an integer from 256 to 4096 but received ${value}`,
      );
    }
  }
  return { width, height };
}
