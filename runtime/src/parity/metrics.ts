import { ValidationError } from '#core/errors.ts';

/** Any flat numeric array: typed arrays from ONNX Runtime or a trace, or plain numbers. */
export type NumericArray = ArrayLike<number>;

function checkPair(a: NumericArray, b: NumericArray, metric: string): void {
  if (a.length !== b.length) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected two arrays of equal length for ${metric} but received lengths ${a.length} and ${b.length}`,
      { details: { metric, expectedLength: a.length, actualLength: b.length } },
    );
  }
  if (a.length === 0) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected non-empty arrays for ${metric} but received two empty ones`,
      { details: { metric } },
    );
  }
}

/**
 * Cosine similarity in float64. Two all-zero arrays are identical (1); one all-zero array against
 * a non-zero one scores 0. A NaN anywhere gives NaN, which fails every threshold.
 */
export function cosineSimilarity(a: NumericArray, b: NumericArray): number {
  checkPair(a, b, 'cosine similarity');
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  if (Number.isNaN(dot) || Number.isNaN(normA) || Number.isNaN(normB)) return Number.NaN;
  if (normA === 0 && normB === 0) return 1;
  if (normA === 0 || normB === 0) return 0;
  // Rounding can push |cosine| a hair past 1 for identical inputs.
  return Math.max(-1, Math.min(1, dot / Math.sqrt(normA * normB)));
}

/** Largest |a[i] − b[i]|, in float64; NaN if any difference is NaN. */
export function maxAbsError(a: NumericArray, b: NumericArray): number {
  checkPair(a, b, 'max abs error');
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const difference = Math.abs((a[i] as number) - (b[i] as number));
    if (Number.isNaN(difference)) return Number.NaN;
    if (difference > max) max = difference;
  }
  return max;
}

/** Mean |a[i] − b[i]|, accumulated in float64. */
export function meanAbsError(a: NumericArray, b: NumericArray): number {
  checkPair(a, b, 'mean abs error');
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

/**
 * Peak signal-to-noise ratio of two 8-bit images in dB: 10·log10(255² / MSE), MSE in float64.
 * Identical images give Infinity.
 */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  checkPair(a, b, 'PSNR');
  let squared = 0;
  for (let i = 0; i < a.length; i++) {
    const difference = (a[i] as number) - (b[i] as number);
    squared += difference * difference;
  }
  if (squared === 0) return Number.POSITIVE_INFINITY;
  return 10 * Math.log10((255 * 255) / (squared / a.length));
}
