/**
 * Qwen3-VL interleaved M-RoPE on the host: position ids (`get_rope_index` with the 224 meta-token
 * placeholders, reference §2.4, §3.2) and the cos/sin tables fed to the LM graph G3 (§3.1, §7.3).
 */
import { InferenceError } from '#core/errors.ts';

export interface MropePositionsOptions {
  /** L: text and image tokens of the prompt. */
  readonly seqLen: number;
  /** Index of the first `<|image_pad|>`; -1 for text-to-image. */
  readonly imageStart: number;
  /** Merged grid height gh/2 (ignored without an image). */
  readonly gridH: number;
  /** Merged grid width gw/2 (ignored without an image). */
  readonly gridW: number;
  /** Meta tokens appended after the prompt (224 for VIBE). */
  readonly metaTokens: number;
}

/**
 * M-RoPE position ids for one sequence, laid out [3 × (L + metaTokens)] as (t, h, w) rows.
 * Text before the image counts 0..s−1 on every axis; merged image token (r, c) gets
 * (s, s + r, s + c); everything after the image, meta tokens included, restarts at
 * s + max(gridH, gridW) and counts up by one, equal on all axes. Without an image every axis is
 * 0..L + metaTokens − 1.
 *
 * @throws InferenceError when the sizes are not non-negative integers or the image does not fit.
 */
export function mropePositions(options: MropePositionsOptions): Int32Array {
  const { seqLen, imageStart, gridH, gridW, metaTokens } = options;
  requireInteger('seqLen', seqLen, 1);
  requireInteger('metaTokens', metaTokens, 0);
  const total = seqLen + metaTokens;
  const out = new Int32Array(3 * total);
  const t = out.subarray(0, total);
  const h = out.subarray(total, 2 * total);
  const w = out.subarray(2 * total);

  if (imageStart === -1) {
    for (let i = 0; i < total; i++) t[i] = i;
    h.set(t);
    w.set(t);
    return out;
  }
  requireInteger('imageStart', imageStart, 0);
  requireInteger('gridH', gridH, 1);
  requireInteger('gridW', gridW, 1);
  const imageTokens = gridH * gridW;
  if (imageStart + imageTokens > seqLen) {
    throw new InferenceError(
      `Expected the ${gridH}×${gridW} image tokens starting at ${imageStart} to fit in a prompt of ${seqLen} tokens but they end at ${imageStart + imageTokens}`,
      { details: { seqLen, imageStart, gridH, gridW } },
    );
  }
  for (let i = 0; i < imageStart; i++) t[i] = i;
  h.set(t.subarray(0, imageStart));
  w.set(t.subarray(0, imageStart));
  t.fill(imageStart, imageStart, imageStart + imageTokens);
  for (let r = 0, k = imageStart; r < gridH; r++) {
    for (let c = 0; c < gridW; c++, k++) {
      h[k] = imageStart + r;
      w[k] = imageStart + c;
    }
  }
  const after = imageStart + imageTokens;
  const restart = imageStart + Math.max(gridH, gridW);
  for (let i = after; i < total; i++) t[i] = restart + (i - after);
  h.set(t.subarray(after), after);
  w.set(t.subarray(after), after);
  return out;
}

export interface MropeCosSinOptions {
  /** RoPE base θ (`rope_theta`, 5,000,000 for Qwen3-VL). */
  readonly theta: number;
  /** Attention head size (128). */
  readonly headDim: number;
  /** Frequencies per axis (t, h, w), summing to headDim / 2 ([24, 20, 20]). */
  readonly mropeSection: readonly [number, number, number];
  /**
   * The model's float32 `inv_freq` buffer, when the bundle ships it; by default it is computed
   * with {@link ropeInverseFrequencies}.
   */
  readonly invFreq?: Float32Array;
}

/** Row-major [L′ × headDim] float32 tables, the layout of G3's `rope_cos` / `rope_sin` [1, L′, 128]. */
export interface MropeCosSin {
  readonly cos: Float32Array;
  readonly sin: Float32Array;
}

/**
 * `inv_freq[i] = 1 / θ^(2i / headDim)` with torch's float32 steps: the exponent 2i/headDim in
 * float32, the power rounded to float32, then the float32 reciprocal. torch's CPU `pow` may differ
 * from the correctly rounded power by one float32 ulp for some i; ship the real buffer through
 * `invFreq` where bit parity matters.
 */
export function ropeInverseFrequencies(theta: number, headDim: number): Float32Array {
  const half = headDim / 2;
  const out = new Float32Array(half);
  const base = Math.fround(theta);
  for (let i = 0; i < half; i++) {
    const exponent = Math.fround((2 * i) / headDim);
    out[i] = Math.fround(1 / Math.fround(base ** exponent));
  }
  return out;
}

/**
 * cos and sin tables for positions from {@link mropePositions}, as
 * `Qwen3VLTextRotaryEmbedding.forward` computes them in float32: freqs = inv_freq · position per
 * axis; `apply_interleaved_mrope` takes frequency i from the h axis when i % 3 == 1 and
 * i < 3·section[1], from the w axis when i % 3 == 2 and i < 3·section[2], otherwise from t;
 * emb = concat(freqs, freqs).
 *
 * @throws InferenceError when the positions are not [3 × L′] or the section does not match headDim.
 */
export function mropeCosSin(positions: Int32Array, options: MropeCosSinOptions): MropeCosSin {
  const { headDim, mropeSection } = options;
  const half = headDim / 2;
  const [sectionT, sectionH, sectionW] = mropeSection;
  if (!Number.isInteger(half) || half < 1 || sectionT + sectionH + sectionW !== half) {
    throw new InferenceError(
      `Expected mropeSection [${mropeSection.join(', ')}] to sum to headDim / 2 = ${headDim / 2}`,
      { details: { headDim, mropeSection } },
    );
  }
  if (positions.length === 0 || positions.length % 3 !== 0) {
    throw new InferenceError(
      `Expected M-RoPE positions of shape [3 × L′] but received ${positions.length} values`,
      { details: { length: positions.length } },
    );
  }
  const invFreq = options.invFreq ?? ropeInverseFrequencies(options.theta, headDim);
  if (invFreq.length !== half) {
    throw new InferenceError(
      `Expected invFreq to have headDim / 2 = ${half} values but received ${invFreq.length}`,
      { details: { length: invFreq.length, half } },
    );
  }
  const length = positions.length / 3;
  // Offset of the axis row each frequency reads its position from.
  const axisOffset = new Int32Array(half);
  for (let i = 0; i < half; i++) {
    if (i % 3 === 1 && i < 3 * sectionH) axisOffset[i] = length;
    else if (i % 3 === 2 && i < 3 * sectionW) axisOffset[i] = 2 * length;
  }
  const cos = new Float32Array(length * headDim);
  const sin = new Float32Array(length * headDim);
  for (let p = 0; p < length; p++) {
    const row = p * headDim;
    for (let i = 0; i < half; i++) {
      const freq = Math.fround(invFreq[i]! * positions[axisOffset[i]! + p]!);
      const c = Math.cos(freq);
      const s = Math.sin(freq);
      cos[row + i] = c;
      cos[row + half + i] = c;
      sin[row + i] = s;
      sin[row + half + i] = s;
    }
  }
  return { cos, sin };
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new InferenceError(
      `Expected ${name} to be an integer of at least ${min} but received ${value}`,
      { details: { [name]: value } },
    );
  }
}
