import { describe, expect, it } from 'vitest';
import { cosineSimilarity, maxAbsError, meanAbsError, psnr } from '#runtime/parity/metrics.ts';

describe('cosineSimilarity', () => {
  it('returns the known cosine of small vectors', () => {
    expect(cosineSimilarity([1, 0], [1, 1])).toBeCloseTo(Math.SQRT1_2, 15);
    expect(cosineSimilarity([1, 2, 3], [4, 5, 6])).toBeCloseTo(32 / Math.sqrt(14 * 77), 15);
    expect(cosineSimilarity([1, 0], [0, 5])).toBe(0);
    expect(cosineSimilarity([1, -2], [-1, 2])).toBe(-1);
  });

  it('ignores scale and stays within [-1, 1] for identical inputs', () => {
    const a = new Float32Array([0.1, 0.2, 0.3, 1e-3]);
    expect(cosineSimilarity(a, a)).toBe(1);
    expect(cosineSimilarity([2, 4], [1, 2])).toBe(1);
  });

  it('accumulates in float64 where float32 would lose the difference', () => {
    // 1 + 1e-8 is 1 in float32; in float64 the cosine of these vectors is below 1.
    const a = [1, 1e-4];
    const b = [1, -1e-4];
    expect(cosineSimilarity(a, b)).toBeCloseTo((1 - 1e-8) / (1 + 1e-8), 15);
    expect(cosineSimilarity(a, b)).toBeLessThan(1);
  });

  it('treats all-zero arrays as identical and zero against non-zero as 0', () => {
    expect(cosineSimilarity([0, 0], [0, 0])).toBe(1);
    expect(cosineSimilarity([0, 0], [0, 3])).toBe(0);
  });

  it('returns NaN when an input holds NaN', () => {
    expect(cosineSimilarity([1, Number.NaN], [1, 2])).toBeNaN();
  });
});

describe('maxAbsError and meanAbsError', () => {
  it('return the largest and the mean absolute difference', () => {
    const expected = new Float32Array([1, -2, 3, 0.5]);
    const actual = new Float32Array([1.5, -2, 1, 0.5]);
    expect(maxAbsError(expected, actual)).toBe(2);
    expect(meanAbsError(expected, actual)).toBe(0.625);
  });

  it('report NaN instead of hiding it behind finite differences', () => {
    expect(maxAbsError([0, 1, 2], [0, Number.NaN, 2])).toBeNaN();
    expect(meanAbsError([0, 1], [0, Number.NaN])).toBeNaN();
  });

  it('compare integer arrays exactly', () => {
    expect(
      maxAbsError(new Int32Array([151644, 872, 198]), new Int32Array([151644, 872, 198])),
    ).toBe(0);
  });
});

describe('psnr', () => {
  it('returns 10·log10(255²/MSE) for a known MSE', () => {
    // One of four values off by 10: MSE = 100 / 4 = 25.
    const a = new Uint8Array([0, 0, 0, 0]);
    const b = new Uint8Array([10, 0, 0, 0]);
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(65025 / 25), 12);
    expect(psnr(a, b)).toBeCloseTo(34.1514, 4);
  });

  it('is symmetric and reaches 0 dB at the largest possible error', () => {
    const black = new Uint8Array([0, 0, 0]);
    const white = new Uint8Array([255, 255, 255]);
    expect(psnr(black, white)).toBe(0);
    expect(psnr(white, black)).toBe(0);
  });

  it('returns Infinity for identical images', () => {
    const image = new Uint8Array([1, 2, 3, 250]);
    expect(psnr(image, image.slice())).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('length checks', () => {
  it('refuses arrays of different lengths with both lengths in the message', () => {
    expect(() => cosineSimilarity([1, 2, 3], [1, 2])).toThrow(
      'Expected two arrays of equal length for cosine similarity but received lengths 3 and 2',
    );
    expect(() => maxAbsError([1], [1, 2])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => psnr(new Uint8Array(4), new Uint8Array(3))).toThrow(
      /PSNR but received lengths 4 and 3/,
    );
  });

  it('refuses empty arrays', () => {
    expect(() => meanAbsError([], [])).toThrow('Expected non-empty arrays for mean abs error');
  });
});
