/**
 * The DiT inputs of one job (graph G6 `dit`), built once and updated in place at every step.
 *
 * Rows follow upstream's batch order (reference §5): `full` = [x⊕I, c], [x⊕I, ∅], [x⊕0, ∅];
 * `text` = [x⊕I, c], [x⊕I, ∅]; `none` = [x⊕I, c]. x is the noisy latent, I the image latent (zeros
 * for text-to-image, which upstream forces inside the transformer through `t2i_samples`), c the
 * conditioning and ∅ the constant `hid_null`. Only the 32 noisy-latent channels change per step, so
 * the buffers (and the ORT tensors wrapping them) can be reused for the whole job.
 */

import { ValidationError } from '#core/errors.ts';
import { type BundlePrecision, VIBE_ARCHITECTURE } from '#runtime/bundle/graph-contract.ts';
import type { HostTensor } from '../graph-runner.ts';
import { float16ToFloat32, float32ToFloat16 } from '../tensor/float16.ts';
import { batchSizeOf, type GuidanceMode } from './guidance-mode.ts';

/** Float data in a bundle's precision: float32 values, or float16 bit patterns. */
export type ModelFloatArray = Float32Array | Uint16Array;

export interface DitBatchOptions {
  readonly mode: GuidanceMode;
  readonly precision: BundlePrecision;
  /** Latent height h = H/32. */
  readonly latentHeight: number;
  /** Latent width w = W/32. */
  readonly latentWidth: number;
  /** I, [32·h·w]; `null` means zeros (text-to-image). A Uint16Array holds float16 bits. */
  readonly imageLatent: ModelFloatArray | null;
  /** c, the connector output [224·2304]. */
  readonly cond: ModelFloatArray;
  /** ∅, the constant `hid_null` [224·2304]; only read in the `text` and `full` modes. */
  readonly hidNull: ModelFloatArray;
  /** Transformer `timestep_scale` (1.0 for VIBE). */
  readonly timestepScale?: number;
}

const LATENT_CHANNELS = VIBE_ARCHITECTURE.latentChannels;
const CAPTION_ROW = VIBE_ARCHITECTURE.metaTokens * VIBE_ARCHITECTURE.captionChannels;

function checkLength(field: string, array: { readonly length: number }, expected: number): void {
  if (array.length !== expected) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "${field}" to have length ${expected} but received ${array.length}`,
      { details: { field, expected, received: array.length } },
    );
  }
}

/** Writes `src` into `dst` at `offset`, converting between float32 and float16 bits as needed. */
function writeConverted(dst: ModelFloatArray, offset: number, src: ModelFloatArray): void {
  const view = dst.subarray(offset, offset + src.length);
  if (view instanceof Uint16Array) {
    if (src instanceof Uint16Array) view.set(src);
    else float32ToFloat16(src, view);
  } else if (src instanceof Float32Array) {
    view.set(src);
  } else {
    float16ToFloat32(src, view);
  }
}

export class DitBatch {
  readonly mode: GuidanceMode;
  readonly batch: 1 | 2 | 3;
  /** `hidden_states` [B, 64, h, w] in the bundle precision. */
  readonly hiddenStates: ModelFloatArray;
  /** `encoder_hidden_states` [B, 224, 2304] in the bundle precision. */
  readonly encoderHiddenStates: ModelFloatArray;
  readonly hiddenStatesDims: readonly [number, number, number, number];
  readonly encoderHiddenStatesDims: readonly [number, number, number];
  /** Elements of one latent, 32·h·w. */
  readonly latentLength: number;
  private readonly timesteps: Float32Array;
  private readonly timestepScale: number;
  private readonly hiddenTensor: HostTensor;
  private readonly encoderTensor: HostTensor;

  constructor(options: DitBatchOptions) {
    const { mode, precision, latentHeight: h, latentWidth: w } = options;
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected positive integer latent dims but received ${h}×${w}`,
        { details: { latentHeight: h, latentWidth: w } },
      );
    }
    const scale = options.timestepScale ?? 1;
    if (!Number.isFinite(scale)) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected a finite timestepScale but received ${scale}`,
      );
    }
    this.mode = mode;
    this.batch = batchSizeOf(mode);
    this.timestepScale = Math.fround(scale);
    const n = LATENT_CHANNELS * h * w;
    this.latentLength = n;
    const rowLength = 2 * n;
    const B = this.batch;
    this.hiddenStatesDims = [B, 2 * LATENT_CHANNELS, h, w];
    this.encoderHiddenStatesDims = [
      B,
      VIBE_ARCHITECTURE.metaTokens,
      VIBE_ARCHITECTURE.captionChannels,
    ];
    const allocate = (length: number): ModelFloatArray =>
      precision === 'float16' ? new Uint16Array(length) : new Float32Array(length);
    this.hiddenStates = allocate(B * rowLength);
    this.encoderHiddenStates = allocate(B * CAPTION_ROW);
    this.timesteps = new Float32Array(B);
    this.hiddenTensor = { dtype: precision, dims: this.hiddenStatesDims, data: this.hiddenStates };
    this.encoderTensor = {
      dtype: precision,
      dims: this.encoderHiddenStatesDims,
      data: this.encoderHiddenStates,
    };

    checkLength('cond', options.cond, CAPTION_ROW);
    writeConverted(this.encoderHiddenStates, 0, options.cond);
    if (B > 1) {
      checkLength('hidNull', options.hidNull, CAPTION_ROW);
      for (let b = 1; b < B; b++)
        writeConverted(this.encoderHiddenStates, b * CAPTION_ROW, options.hidNull);
    }
    // Image channels: I in the first two rows, zeros (already there) in the unconditional third.
    const image = options.imageLatent;
    if (image !== null) {
      checkLength('imageLatent', image, n);
      for (let b = 0; b < Math.min(B, 2); b++)
        writeConverted(this.hiddenStates, b * rowLength + n, image);
    }
  }

  /** The batch size B (same as {@link batch}). */
  get size(): 1 | 2 | 3 {
    return this.batch;
  }

  /** `hidden_states` as a graph feed; the same object at every step, its data updated in place. */
  hiddenStatesTensor(): HostTensor {
    return this.hiddenTensor;
  }

  /** `encoder_hidden_states` as a graph feed; constant for the whole job. */
  encoderHiddenStatesTensor(): HostTensor {
    return this.encoderTensor;
  }

  /** Writes the noisy latent x [32·h·w] into the first 32 channels of every row. */
  setLatent(x: Float32Array): void {
    const n = this.latentLength;
    checkLength('x', x, n);
    const data = this.hiddenStates;
    // Convert once into row 0, then copy the converted bits to the other rows.
    writeConverted(data, 0, x);
    for (let b = 1; b < this.batch; b++) data.copyWithin(b * 2 * n, 0, n);
  }

  /**
   * The `timestep` input [B]: the integer scheduler timestep times `timestep_scale`, computed in
   * float32 like upstream's `t.expand(B) * timestep_scale`. Returns the same buffer at every call.
   */
  timestep(t: number): Float32Array {
    if (!Number.isInteger(t)) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected an integer timestep but received ${t}`,
      );
    }
    this.timesteps.fill(Math.fround(t) * this.timestepScale);
    return this.timesteps;
  }
}
