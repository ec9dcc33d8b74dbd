import { VIBE_ARCHITECTURE } from '#runtime/bundle/graph-contract.ts';
import type { ScratchBuffers } from '../scratch-buffers.ts';
import type { Resampler } from './resample.ts';
import { smartResize } from './smart-resize.ts';
import { interpolatePositionEmbedding } from './vision-position-embedding.ts';
import { visionRotaryCosSin } from './vision-rope.ts';

/** The image-processor and vision-tower settings the host side needs (manifest `config.vision`). */
export interface VisionPreprocessConfig {
  readonly patchSize: number;
  readonly mergeSize: number;
  readonly temporalPatchSize: number;
  readonly minPixels: number;
  readonly maxPixels: number;
  readonly imageMean: readonly number[];
  readonly imageStd: readonly number[];
  /** Rows of the learned position table (48² = 2304 for Qwen3-VL-2B). @default 2304 */
  readonly numPositionEmbeddings?: number;
  /** Vision RoPE base. @default 10000 */
  readonly ropeTheta?: number;
  /** The processor's `rescale_factor`. @default 1/255 */
  readonly rescaleFactor?: number;
}

export interface VisionInputs {
  readonly resizedWidth: number;
  readonly resizedHeight: number;
  readonly gridH: number;
  readonly gridW: number;
  readonly numPatches: number;
  /** Merged tokens: `numPatches / mergeSize²`, the number of `<|image_pad|>` tokens. */
  readonly numImageTokens: number;
  /** `numPatches × (3 · T · P · P)`, rows in merge-window order, columns (c, t, py, px). */
  readonly pixelValues: Float32Array;
  readonly posIdx: Int32Array;
  readonly posW: Float32Array;
  /** `numPatches × 64`. */
  readonly ropeCos: Float32Array;
  readonly ropeSin: Float32Array;
}

/**
 * Per-channel map from a uint8 sample to the normalised float32 value. transformers' fast image
 * processor fuses rescale and normalise: it scales mean and std by `1 / rescale_factor` in float32
 * and computes `(x − mean′) / std′` on the float32 pixel (x/255 then (x − 0.5)/0.5 becomes
 * (x − 127.5)/127.5, rounded once).
 */
function normalisationTables(config: VisionPreprocessConfig): Float32Array[] {
  const inverseRescale = Math.fround(1 / (config.rescaleFactor ?? 1 / 255));
  return [0, 1, 2].map((c) => {
    const mean = Math.fround(Math.fround(config.imageMean[c] ?? 0) * inverseRescale);
    const std = Math.fround(Math.fround(config.imageStd[c] ?? 1) * inverseRescale);
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = Math.fround(v - mean) / std;
    return table;
  });
}

/**
 * Everything the vision graph (G1) needs for one image (reference §2.2, §3.1): `smart_resize` of
 * the original image, a bicubic resize on uint8, normalisation, the frame duplicated to T = 2 and
 * patchified in merge-window order, plus the position-embedding indices/weights and the 2-D RoPE
 * tables for the same patch order.
 */
export async function prepareVisionInputs(
  rgb: Uint8Array,
  width: number,
  height: number,
  vision: VisionPreprocessConfig,
  resampler: Resampler,
  scratch?: ScratchBuffers,
): Promise<VisionInputs> {
  const { patchSize: P, mergeSize: M, temporalPatchSize: T } = vision;
  const resized = smartResize(height, width, {
    factor: P * M,
    minPixels: vision.minPixels,
    maxPixels: vision.maxPixels,
  });
  const rw = resized.width;
  const rh = resized.height;
  const pixels = await resampler.resizeRgb(rgb, width, height, rw, rh, 'bicubic');

  const gridH = rh / P;
  const gridW = rw / P;
  const numPatches = gridH * gridW;
  const planeSize = P * P;
  const rowLength = 3 * T * planeSize;
  // Every element is written below, so a reused buffer needs no clearing.
  const pixelValues =
    scratch?.float32('vlm_pixel_values', numPatches * rowLength) ??
    new Float32Array(numPatches * rowLength);
  const tables = normalisationTables(vision);

  let row = 0;
  for (let bh = 0; bh < gridH / M; bh++) {
    for (let bw = 0; bw < gridW / M; bw++) {
      for (let my = 0; my < M; my++) {
        for (let mx = 0; mx < M; mx++, row++) {
          const patchTop = (bh * M + my) * P;
          const patchLeft = (bw * M + mx) * P;
          const base = row * rowLength;
          for (let c = 0; c < 3; c++) {
            const table = tables[c] as Float32Array;
            const channelBase = base + c * T * planeSize;
            for (let y = 0; y < P; y++) {
              let src = ((patchTop + y) * rw + patchLeft) * 3 + c;
              const dst = channelBase + y * P;
              for (let x = 0; x < P; x++, src += 3) {
                const value = table[pixels[src] as number] as number;
                for (let t = 0; t < T; t++) pixelValues[dst + t * planeSize + x] = value;
              }
            }
          }
        }
      }
    }
  }

  const side = Math.trunc(Math.sqrt(vision.numPositionEmbeddings ?? 2304));
  const { posIdx, posW } = interpolatePositionEmbedding(gridH, gridW, M, side);
  const rope = visionRotaryCosSin(
    gridH,
    gridW,
    M,
    VIBE_ARCHITECTURE.visionRopeDim,
    vision.ropeTheta ?? 10_000,
  );
  return {
    resizedWidth: rw,
    resizedHeight: rh,
    gridH,
    gridW,
    numPatches,
    numImageTokens: numPatches / (M * M),
    pixelValues,
    posIdx,
    posW,
    ropeCos: rope.cos,
    ropeSin: rope.sin,
  };
}
