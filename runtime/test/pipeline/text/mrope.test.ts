import { describe, expect, it } from 'vitest';
import {
  mropeCosSin,
  mropePositions,
  ropeInverseFrequencies,
} from '#runtime/pipeline/text/mrope.ts';

const QWEN3_VL_ROPE = { theta: 5_000_000, headDim: 128, mropeSection: [24, 20, 20] } as const;

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

function axes(positions: Int32Array): [number[], number[], number[]] {
  const n = positions.length / 3;
  return [
    Array.from(positions.subarray(0, n)),
    Array.from(positions.subarray(n, 2 * n)),
    Array.from(positions.subarray(2 * n)),
  ];
}

describe('mropePositions', () => {
  it('lays out a 3×4 merged grid after 4 text tokens', () => {
    // 4 text, 12 image, 4 text, 2 meta; after the image positions restart at 4 + max(3, 4) = 8.
    const [t, h, w] = axes(
      mropePositions({ seqLen: 20, imageStart: 4, gridH: 3, gridW: 4, metaTokens: 2 }),
    );
    expect(t).toEqual([0, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 8, 9, 10, 11, 12, 13]);
    expect(h).toEqual([0, 1, 2, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 8, 9, 10, 11, 12, 13]);
    expect(w).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  });

  it('uses max(gridH, gridW) for the restart of a tall grid', () => {
    const [t, h, w] = axes(
      mropePositions({ seqLen: 9, imageStart: 1, gridH: 3, gridW: 2, metaTokens: 1 }),
    );
    expect(t).toEqual([0, 1, 1, 1, 1, 1, 1, 4, 5, 6]);
    expect(h).toEqual([0, 1, 1, 2, 2, 3, 3, 4, 5, 6]);
    expect(w).toEqual([0, 1, 2, 1, 2, 1, 2, 4, 5, 6]);
  });

  it('gives the 1024² edit 686 positions, restarting at 4 + 21 after the 441 image tokens', () => {
    const positions = mropePositions({
      seqLen: 462,
      imageStart: 4,
      gridH: 21,
      gridW: 21,
      metaTokens: 224,
    });
    expect(positions).toHaveLength(3 * 686);
    const [t, h, w] = axes(positions);
    expect(t.slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(t.slice(4, 445)).toEqual(new Array(441).fill(4));
    // Merged token k = 20·21 + 3 sits at row 20, column 3.
    expect([t[4 + 423], h[4 + 423], w[4 + 423]]).toEqual([4, 24, 7]);
    expect(h.slice(4, 445)).toEqual(range(0, 441).map((k) => 4 + Math.floor(k / 21)));
    expect(w.slice(4, 445)).toEqual(range(0, 441).map((k) => 4 + (k % 21)));
    // <|vision_end|>, 14 query tokens, <|im_end|>, "\n" and 224 meta tokens: 25..265.
    for (const axis of [t, h, w]) expect(axis.slice(445)).toEqual(range(25, 241));
  });

  it('counts 0..L+223 on every axis for text-to-image', () => {
    const [t, h, w] = axes(
      mropePositions({ seqLen: 19, imageStart: -1, gridH: 0, gridW: 0, metaTokens: 224 }),
    );
    expect(t).toEqual(range(0, 243));
    expect(h).toEqual(t);
    expect(w).toEqual(t);
  });

  it('refuses an image that does not fit or bad sizes', () => {
    expect(() =>
      mropePositions({ seqLen: 10, imageStart: 4, gridH: 3, gridW: 3, metaTokens: 224 }),
    ).toThrow(/end at 13/);
    expect(() =>
      mropePositions({ seqLen: 10, imageStart: 1.5, gridH: 1, gridW: 1, metaTokens: 0 }),
    ).toThrow(expect.objectContaining({ code: 'INFERENCE_FAILED' }));
    expect(() =>
      mropePositions({ seqLen: 0, imageStart: -1, gridH: 1, gridW: 1, metaTokens: 0 }),
    ).toThrow(/seqLen/);
  });
});

describe('ropeInverseFrequencies', () => {
  it('matches 1 / θ^(2i/128) with the power correctly rounded to float32', () => {
    // Computed in Python from the exact power (decimal, 60 digits) rounded to float32, then the
    // float32 reciprocal.
    const inv = ropeInverseFrequencies(5_000_000, 128);
    expect(inv).toHaveLength(64);
    expect(inv[0]).toBe(1);
    expect(inv[1]).toBe(Math.fround(0.785830020904541));
    expect(inv[6]).toBe(Math.fround(0.23548950254917145));
    expect(inv[32]).toBe(Math.fround(0.0004472136206459254));
    expect(inv[60]).toBe(Math.fround(5.244639282864227e-7));
    expect(inv[63]).toBe(Math.fround(2.5450796670156706e-7));
  });
});

describe('mropeCosSin', () => {
  // Text-to-image positions 0..700 (477 prompt tokens + 224 meta), equal on every axis.
  const textPositions = mropePositions({
    seqLen: 477,
    imageStart: -1,
    gridH: 0,
    gridW: 0,
    metaTokens: 224,
  });
  const textTables = mropeCosSin(textPositions, QWEN3_VL_ROPE);
  const at = (table: Float32Array, row: number, column: number) => table[row * 128 + column]!;

  it('returns [L′ × 128] float32 tables with emb = concat(freqs, freqs)', () => {
    expect(textTables.cos).toBeInstanceOf(Float32Array);
    expect(textTables.cos).toHaveLength(701 * 128);
    expect(textTables.sin).toHaveLength(701 * 128);
    for (const row of [0, 350, 700]) {
      for (let i = 0; i < 64; i++) {
        expect(at(textTables.cos, row, 64 + i)).toBe(at(textTables.cos, row, i));
        expect(at(textTables.sin, row, 64 + i)).toBe(at(textTables.sin, row, i));
      }
    }
    expect(at(textTables.cos, 0, 5)).toBe(1);
    expect(at(textTables.sin, 0, 5)).toBe(0);
  });

  it('pins cos/sin at position 700 to values computed in float32 by Python', () => {
    // freq = float32(inv_freq[i] · 700); cos/sin of it rounded to float32.
    const pinned: [number, number, number][] = [
      [0, -0.83910435, 0.5439705],
      [1, -0.9546604, -0.29769692],
      [2, 0.29659116, -0.9550046],
      [3, 0.92151994, 0.38833106],
      [6, 0.09083755, 0.9958657],
      [32, 0.95139885, 0.30796137],
      [63, 1.0, 0.00017815558],
    ];
    for (const [i, cos, sin] of pinned) {
      expect(at(textTables.cos, 700, i)).toBeCloseTo(cos, 6);
      expect(at(textTables.sin, 700, i)).toBeCloseTo(sin, 6);
    }
  });

  it('stays within float32 rounding of a float64 reference for every entry', () => {
    for (const p of [1, 25, 265, 477, 700]) {
      for (let i = 0; i < 64; i++) {
        const freq = p * 5_000_000 ** (-(2 * i) / 128);
        // float32 freqs carry a relative error of about 2^-23, so the bound grows with freq.
        const tolerance = 1e-6 + 2.5e-7 * freq;
        expect(Math.abs(at(textTables.cos, p, i) - Math.cos(freq))).toBeLessThanOrEqual(tolerance);
        expect(Math.abs(at(textTables.sin, p, i) - Math.sin(freq))).toBeLessThanOrEqual(tolerance);
      }
    }
  });

  it('takes frequency i from h when i % 3 == 1, from w when i % 3 == 2 (i < 60), else from t', () => {
    // One image token with (t, h, w) = (4, 24, 7): the 1024² example's row 20, column 3.
    const tables = mropeCosSin(Int32Array.from([4, 24, 7]), QWEN3_VL_ROPE);
    const inv = (i: number) => 5_000_000 ** (-(2 * i) / 128);
    const axisOf = (i: number) => (i < 60 && i % 3 === 1 ? 24 : i < 60 && i % 3 === 2 ? 7 : 4);
    for (let i = 0; i < 64; i++) {
      const expected = Math.cos(inv(i) * axisOf(i));
      expect(Math.abs(tables.cos[i]! - expected)).toBeLessThan(2e-5);
      expect(tables.cos[64 + i]).toBe(tables.cos[i]);
    }
    // Spot checks: 58 is the last h index, 59 the last w index, 60–63 read t.
    expect(tables.cos[58]).toBeCloseTo(Math.cos(inv(58) * 24), 6);
    expect(tables.cos[59]).toBeCloseTo(Math.cos(inv(59) * 7), 6);
    expect(tables.sin[61]).toBeCloseTo(Math.sin(inv(61) * 4), 6);
    // Pinned in Python: float32 sin(float32(0.78583 · 24)), float32 cos(float32(0.61752874 · 7)).
    expect(tables.sin[1]).toBeCloseTo(0.010364395, 6);
    expect(tables.cos[2]).toBeCloseTo(-0.37989983, 6);
  });

  it('uses a shipped invFreq buffer instead of computing one', () => {
    const invFreq = ropeInverseFrequencies(5_000_000, 128);
    invFreq[0] = 0.5;
    const tables = mropeCosSin(Int32Array.from([2, 2, 2]), { ...QWEN3_VL_ROPE, invFreq });
    expect(tables.cos[0]).toBeCloseTo(Math.cos(1), 6);
    expect(() =>
      mropeCosSin(Int32Array.from([2, 2, 2]), {
        ...QWEN3_VL_ROPE,
        invFreq: new Float32Array(10),
      }),
    ).toThrow(/64 values but received 10/);
  });

  it('refuses a section that does not match headDim and positions not in [3 × L′]', () => {
    expect(() =>
      mropeCosSin(Int32Array.from([0, 0, 0]), { ...QWEN3_VL_ROPE, mropeSection: [24, 20, 16] }),
    ).toThrow(/sum to headDim \/ 2 = 64/);
    expect(() => mropeCosSin(Int32Array.from([0, 0]), QWEN3_VL_ROPE)).toThrow(/\[3 × L′\]/);
  });
});
