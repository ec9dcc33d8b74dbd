import { describe, expect, it } from 'vitest';
import { boxMullerPair, logUniform } from '#runtime/pipeline/denoise/box-muller.ts';
import { philox4x32 } from '#runtime/pipeline/denoise/philox.ts';
import {
  gaussianNoise,
  MAX_SEED,
  validateInjectedNoise,
} from '#runtime/pipeline/denoise/seeded-noise.ts';

function hex(words: Uint32Array): string[] {
  return Array.from(words, (w) => w.toString(16).padStart(8, '0'));
}

describe('philox4x32', () => {
  // Random123 tests/kat_vectors, the three "philox4x32 10" lines: counter, key, expected output.
  it.each([
    [
      [0, 0, 0, 0],
      [0, 0],
      ['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8'],
    ],
    [
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff],
      ['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd'],
    ],
    [
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xa4093822, 0x299f31d0],
      ['d16cfe09', '94fdcceb', '5001e420', '24126ea1'],
    ],
  ])('matches the Random123 known answer for counter %j', (counter, key, expected) => {
    const out = new Uint32Array(4);
    philox4x32(counter, key[0] as number, key[1] as number, out);
    expect(hex(out)).toEqual(expected);
  });
});

describe('Box–Muller without libm', () => {
  it('computes ln((k + 0.5)·2⁻³²) to 1e-15 relative over the whole 32-bit range', () => {
    const ks = [0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xb504f333, 0xfffffffe, 0xffffffff];
    for (let i = 0; i < 10000; i++) ks.push(Math.floor((i / 10000) * 2 ** 32) + (i % 7));
    for (const k of ks) {
      const expected = Math.log((k + 0.5) / 2 ** 32);
      expect(Math.abs(logUniform(k) - expected), `k = ${k}`).toBeLessThanOrEqual(
        1e-15 * Math.max(1, Math.abs(expected)),
      );
    }
  });

  it('gives r·cos θ and r·sin θ within float32 rounding for angles in every octant', () => {
    const out = new Float32Array(2);
    for (let i = 0; i < 4096; i++) {
      const a = (i * 2654435761) >>> 0;
      const b = (i * 1048573 + (i << 20)) >>> 0;
      boxMullerPair(a, b, out, 0);
      const r = Math.sqrt(-2 * Math.log((a + 0.5) / 2 ** 32));
      const theta = (2 * Math.PI * b) / 2 ** 32;
      expect(Math.abs((out[0] as number) - r * Math.cos(theta))).toBeLessThan(
        1e-6 * Math.max(1, r),
      );
      expect(Math.abs((out[1] as number) - r * Math.sin(theta))).toBeLessThan(
        1e-6 * Math.max(1, r),
      );
    }
  });
});

describe('gaussianNoise', () => {
  it('pins the first 8 values for seed 42', () => {
    // Cross-checked with an independent Python port (integer Philox, math.log/cos/sin, float32).
    expect(Array.from(gaussianNoise(42, 8))).toEqual([
      -0.9701898097991943, 0.19401895999908447, -1.2356207370758057, 1.9239267110824585,
      -0.07318150997161865, 0.13913749158382416, -1.106665015220642, 0.3266829550266266,
    ]);
  });

  it('is standard normal over a million samples', () => {
    const n = 1_000_000;
    const z = gaussianNoise(7, n);
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let within1 = 0;
    let within2 = 0;
    let lag1 = 0;
    for (let i = 0; i < n; i++) {
      const v = z[i] as number;
      s1 += v;
      s2 += v * v;
      s3 += v * v * v;
      s4 += v * v * v * v;
      if (Math.abs(v) < 1) within1++;
      if (Math.abs(v) < 2) within2++;
      if (i > 0) lag1 += v * (z[i - 1] as number);
    }
    const mean = s1 / n;
    const variance = s2 / n - mean * mean;
    // Standard errors at n = 1e6: mean 1e-3, std 7.1e-4, E[z³] 3.9e-3, E[z⁴] 9.8e-3,
    // P(|z|<1) 4.7e-4, P(|z|<2) 2.1e-4, lag-1 product 1e-3. Bounds are about 5 standard errors, so
    // they hold by chance with overwhelming probability, while a biased, uniform (E[z⁴] = 1.8),
    // mis-scaled or correlated generator fails at least one of them.
    expect(Math.abs(mean)).toBeLessThan(5e-3);
    expect(Math.abs(Math.sqrt(variance) - 1)).toBeLessThan(4e-3);
    expect(Math.abs(s3 / n)).toBeLessThan(0.02);
    expect(Math.abs(s4 / n - 3)).toBeLessThan(0.05);
    expect(Math.abs(within1 / n - 0.682689)).toBeLessThan(2.5e-3);
    expect(Math.abs(within2 / n - 0.9545)).toBeLessThan(1.2e-3);
    expect(Math.abs(lag1 / n)).toBeLessThan(5e-3);
  });

  it('gives the same values for the same seed and different values for different seeds', () => {
    const a = gaussianNoise(1234, 1000);
    expect(Array.from(gaussianNoise(1234, 1000))).toEqual(Array.from(a));
    for (const other of [1235, 0, MAX_SEED]) {
      const b = gaussianNoise(other, 1000);
      let same = 0;
      for (let i = 0; i < 1000; i++) if (a[i] === b[i]) same++;
      expect(same).toBe(0);
    }
  });

  it('makes a shorter request a prefix of a longer one, whatever the tail length', () => {
    const long = gaussianNoise(9, 103);
    for (const count of [0, 1, 2, 3, 5, 6, 7, 100]) {
      expect(Array.from(gaussianNoise(9, count))).toEqual(Array.from(long.subarray(0, count)));
    }
  });

  it.each([-1, 2 ** 32, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses the seed %s',
    (seed) => {
      expect(() => gaussianNoise(seed, 4)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', name: 'ValidationError' }),
      );
    },
  );

  it('accepts the extreme seeds and refuses a bad count', () => {
    expect(gaussianNoise(0, 4)).toHaveLength(4);
    expect(gaussianNoise(MAX_SEED, 4)).toHaveLength(4);
    expect(() => gaussianNoise(1, -1)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => gaussianNoise(1, 2.5)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('validateInjectedNoise', () => {
  it('returns valid noise unchanged', () => {
    const noise = Float32Array.from([0.1, -2, 3]);
    expect(validateInjectedNoise(noise, 3)).toBe(noise);
  });

  it('refuses a wrong type, a wrong length and non-finite values', () => {
    for (const [noise, length] of [
      [[0.1, 0.2], 2],
      [new Float64Array(2), 2],
      [new Float32Array(3), 2],
      [Float32Array.from([0, Number.NaN]), 2],
      [Float32Array.from([Number.POSITIVE_INFINITY, 0]), 2],
    ] as const) {
      expect(() => validateInjectedNoise(noise, length)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });
});
