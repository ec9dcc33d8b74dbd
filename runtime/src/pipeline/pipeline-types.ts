import type { OutputFormat, SizeMode } from '#core/edit-parameters.ts';
import type { BundlePrecision } from '#runtime/bundle/graph-contract.ts';
import type { BundleManifest } from '#runtime/bundle/manifest-schema.ts';
import type { GuidanceMode } from './denoise/guidance.ts';
import type { GraphRunner } from './graph-runner.ts';
import type { ScratchBuffers } from './scratch-buffers.ts';
import type { StageTimings } from './stage-clock.ts';
import type { QwenTokenizer } from './text/qwen-tokenizer.ts';

/** What a loaded model gives the pipeline; built once per process (engine/pipeline-resources.ts). */
export interface PipelineResources {
  readonly manifest: BundleManifest;
  readonly precision: BundlePrecision;
  readonly tokenizer: QwenTokenizer;
  /** transformer.meta_queries [224 × 2048], already in the bundle precision. */
  readonly metaQueries: Float32Array | Uint16Array;
  /** The unconditional caption hid_null [224 × 2304], float32. */
  readonly hidNull: Float32Array;
  readonly graphs: GraphRunner;
  /** Large host arrays reused across jobs (one job at a time); absent: allocate per job. */
  readonly scratch?: ScratchBuffers;
}

/** One edit (or, without an image, one text-to-image generation). */
export interface PipelineRequest {
  /** Encoded JPEG, PNG or WebP bytes. Absent for text-to-image. */
  readonly image?: Uint8Array;
  readonly instruction: string;
  readonly steps?: number;
  readonly guidanceScale?: number;
  readonly imageGuidanceScale?: number;
  readonly seed?: number;
  /** @default 'aligned' */
  readonly sizeMode?: SizeMode;
  /** @default { format: 'png' } */
  readonly output?: { readonly format: OutputFormat; readonly quality?: number };
  /** Text-to-image size before binning. @default 1024 × 1024 */
  readonly width?: number;
  readonly height?: number;
  /** Injected initial noise [32 × H/32 × W/32] for parity runs (replaces the seeded noise). */
  readonly noise?: Float32Array;
  /** Refuse inputs above this many pixels before decoding. @default 50,000,000 */
  readonly maxInputPixels?: number;
}

export interface ProgressEvent {
  readonly step: number;
  readonly steps: number;
}

/** Observers of a run. `isCanceled` is polled between denoising steps. */
export interface PipelineHooks {
  onProgress?(event: ProgressEvent): void;
  isCanceled?(): boolean;
  /** Receives each stage's tensor (float32 or int32) for parity verification. */
  onTensor?(stage: TraceStage, data: Float32Array | Int32Array, dims: readonly number[]): void;
}

export type TraceStage =
  | 'vlm_pixel_values'
  | 'input_ids'
  | 'image_embeds'
  | 'deepstack'
  | 'meta_hidden'
  | 'cond'
  | 'image_latent'
  | 'initial_noise'
  | 'noise_pred_step0'
  | 'final_latent'
  | 'decoded';

export interface PipelineResult {
  /** The encoded output image. */
  readonly image: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly format: OutputFormat;
  /** The size the model ran at (the resolution bin). */
  readonly bin: { readonly width: number; readonly height: number };
  readonly steps: number;
  readonly seed: number;
  readonly guidance: {
    readonly mode: GuidanceMode;
    readonly guidanceScale: number;
    readonly imageGuidanceScale: number;
  };
  readonly sizeMode: SizeMode;
  readonly model: { readonly name: string; readonly version: string; readonly synthetic: boolean };
  readonly timings: StageTimings;
}
