import { describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16 } from '#runtime/pipeline/tensor/float16.ts';

/** The value of a half bit pattern from its definition, in float64 (independent of the table). */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Rounds a finite double to the nearest half value (ties to even) by scaling, not by bits. */
function roundToHalf(x: number): number {
  const a = Math.abs(x);
  if (a >= 65520) return Math.sign(x) * Number.POSITIVE_INFINITY;
  let unit = 2 ** -24;
  if (a >= 2 ** -14) {
    let e = -14;
    while (2 ** (e + 1) <= a) e++;
    unit = 2 ** (e - 10);
  }
  const q = a / unit;
  let r = Math.floor(q);
  const fraction = q - r;
  if (fraction > 0.5 || (fraction === 0.5 && r % 2 === 1)) r++;
  const value = r * unit;
  return x < 0 || Object.is(x, -0) ? -value : value;
}

function bitsOf(values: number[]): Uint16Array {
  return float32ToFloat16(Float32Array.from(values));
}

describe('float16ToFloat32', () => {
  it('decodes every half bit pattern to its defined value', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const decoded = float16ToFloat32(all);
    let mismatches = 0;
    for (let h = 0; h < 65536; h++) {
      const expected = halfValue(h);
      const got = decoded[h] as number;
      const same = Number.isNaN(expected) ? Number.isNaN(got) : Object.is(got, expected);
      if (!same) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('decodes landmark values', () => {
    const got = float16ToFloat32(
      Uint16Array.from([
        0x3c00, 0xc000, 0x7bff, 0x0400, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00, 0x3555,
      ]),
    );
    expect(Array.from(got)).toEqual([
      1,
      -2,
      65504,
      2 ** -14,
      2 ** -24,
      1023 * 2 ** -24,
      -0,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      0.333251953125,
    ]);
    expect(Object.is(got[6], -0)).toBe(true);
  });

  it('writes into a given buffer and refuses one of another length', () => {
    const dst = new Float32Array(2);
    expect(float16ToFloat32(Uint16Array.from([0x3c00, 0x4000]), dst)).toBe(dst);
    expect(Array.from(dst)).toEqual([1, 2]);
    expect(() => float16ToFloat32(new Uint16Array(3), dst)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('float32ToFloat16', () => {
  it('round-trips all 65,536 half bit patterns exactly (half → float → half), NaN payloads included', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const back = float32ToFloat16(float16ToFloat32(all));
    let mismatches = 0;
    for (let h = 0; h < 65536; h++) if (back[h] !== h) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('rounds ties to even in the normal range', () => {
    // Half spacing at 1 is 2^-10: 1 + 2^-11 lies midway between 1 (even) and 1 + 2^-10 (odd).
    expect(Array.from(bitsOf([1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -20]))).toEqual([
      0x3c00, 0x3c02, 0x3c01,
    ]);
    expect(Array.from(bitsOf([-(1 + 2 ** -11), 2048 + 1, 2048 + 3]))).toEqual([
      0xbc00, 0x6800, 0x6802,
    ]);
  });

  it('rounds ties to even among subnormals and across the subnormal/normal boundary', () => {
    expect(
      Array.from(
        bitsOf([
          2 ** -25,
          3 * 2 ** -25,
          2 ** -25 * (1 + 2 ** -23),
          2 ** -26,
          1023.5 * 2 ** -24,
          2.5 * 2 ** -24,
        ]),
      ),
    ).toEqual([0x0000, 0x0002, 0x0001, 0x0000, 0x0400, 0x0002]);
    expect(Array.from(bitsOf([-(2 ** -25), -(2 ** -30), 1e-45]))).toEqual([0x8000, 0x8000, 0x0000]);
  });

  it('overflows to infinity from 65520 up and keeps 65519 finite', () => {
    expect(Array.from(bitsOf([65504, 65519, 65519.99, 65520, -65520, 1e10, 3.4e38]))).toEqual([
      0x7bff, 0x7bff, 0x7bff, 0x7c00, 0xfc00, 0x7c00, 0x7c00,
    ]);
    expect(Array.from(bitsOf([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]))).toEqual([
      0x7c00, 0xfc00,
    ]);
  });

  it('keeps NaN a NaN, including payloads that live only in the low float32 bits', () => {
    const src = new Float32Array(3);
    const bits = new Uint32Array(src.buffer);
    bits[0] = 0x7fc00000; // the canonical quiet NaN
    bits[1] = 0xff800001; // a negative NaN whose payload is below the half mantissa
    bits[2] = 0x7f802000; // payload bit 13: survives as half mantissa bit 0
    const out = float32ToFloat16(src);
    expect(Array.from(out)).toEqual([0x7e00, 0xfe00, 0x7c01]);
  });

  it('keeps the sign of zero and converts common values like numpy.float16', () => {
    // numpy: np.float16([0.1, -0.3, 1.2345, 1/3, 1000.7, 6e-5]).view(np.uint16)
    expect(Array.from(bitsOf([-0, 0, 0.1, -0.3, 1.2345, 1 / 3, 1000.7, 6e-5]))).toEqual([
      0x8000, 0x0000, 0x2e66, 0xb4cd, 0x3cf0, 0x3555, 0x63d1, 0x03ef,
    ]);
  });

  it('matches round-to-nearest-even by scaling on a million random float32 bit patterns', () => {
    const count = 1 << 20;
    const src = new Float32Array(count);
    const bits = new Uint32Array(src.buffer);
    // A fixed LCG over all exponents, then a band concentrated on the half range.
    let state = 12345;
    for (let i = 0; i < count; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      bits[i] =
        i % 2 === 0
          ? state
          : (0x33000000 + (state % (0x47800000 - 0x33000000))) | (state & 0x80000000);
    }
    const decoded = float16ToFloat32(float32ToFloat16(src));
    let mismatches = 0;
    let checked = 0;
    for (let i = 0; i < count; i++) {
      const x = src[i] as number;
      if (Number.isNaN(x)) {
        if (!Number.isNaN(decoded[i])) mismatches++;
        continue;
      }
      checked++;
      if (!Object.is(decoded[i], roundToHalf(x))) mismatches++;
    }
    expect(checked).toBeGreaterThan(count * 0.9);
    expect(mismatches).toBe(0);
  });

  it('writes into a given buffer, reads a subarray view, and refuses a wrong length', () => {
    const backing = new Float32Array([9, 1, 2, 9]);
    const dst = new Uint16Array(2);
    expect(float32ToFloat16(backing.subarray(1, 3), dst)).toBe(dst);
    expect(Array.from(dst)).toEqual([0x3c00, 0x4000]);
    expect(() => float32ToFloat16(new Float32Array(3), dst)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
