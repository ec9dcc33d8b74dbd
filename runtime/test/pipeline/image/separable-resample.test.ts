import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  computeAxisCoefficients,
  type ResampleFilter,
  resampleRgbSeparable,
} from '#runtime/pipeline/image/separable-resample.ts';

interface GoldenCase {
  name: string;
  input: string;
  width: number;
  height: number;
  outWidth: number;
  outHeight: number;
  filter: ResampleFilter;
  output: string;
}

const PIL_DIR = new URL('../../fixtures/images/pil/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', PIL_DIR), 'utf8')) as {
  pillow: string;
  cases: GoldenCase[];
};
const load = (file: string) => new Uint8Array(readFileSync(new URL(file, PIL_DIR)));

function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++)
    max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

describe('resampleRgbSeparable (pil flavour)', () => {
  it('covers both filters and all pass combinations in the golden set', () => {
    expect(manifest.cases).toHaveLength(12);
    expect(manifest.pillow).toBe('9.4.0');
  });

  it.each(manifest.cases.map((c) => [c.name, c] as const))(
    'matches Pillow’s Image.resize bit for bit: %s',
    (_name, c) => {
      const out = resampleRgbSeparable(
        load(c.input),
        c.width,
        c.height,
        c.outWidth,
        c.outHeight,
        c.filter,
        'pil',
      );
      const expected = load(c.output);
      expect(out.length).toBe(c.outWidth * c.outHeight * 3);
      expect(Buffer.from(out).equals(Buffer.from(expected))).toBe(true);
    },
  );

  it('returns an equal copy when the size does not change', () => {
    const c = manifest.cases[0] as GoldenCase;
    const input = load(c.input);
    const out = resampleRgbSeparable(input, c.width, c.height, c.width, c.height, 'lanczos', 'pil');
    expect(out).not.toBe(input);
    expect(Buffer.from(out).equals(Buffer.from(input))).toBe(true);
  });
});

describe('resampleRgbSeparable (torch flavour)', () => {
  it('stays within one level of Pillow and is not identical to it (int16 coefficients)', () => {
    let differing = 0;
    for (const c of manifest.cases) {
      const out = resampleRgbSeparable(
        load(c.input),
        c.width,
        c.height,
        c.outWidth,
        c.outHeight,
        c.filter,
        'torch',
      );
      const expected = load(c.output);
      expect(maxAbsDiff(out, expected)).toBeLessThanOrEqual(1);
      if (!Buffer.from(out).equals(Buffer.from(expected))) differing++;
    }
    expect(differing).toBeGreaterThan(0);
  });
});

describe('computeAxisCoefficients', () => {
  // 4 → 2 bicubic: scale 2, support 4, taps at (x − 3 + 0.5)/2 → raw weights
  // 0.8671875, 0.8671875, 0.2265625, −0.0703125 (sum 1.890625), normalised then fixed-point.
  it('matches Pillow’s 22-bit fixed point for a 2× bicubic downscale', () => {
    const c = computeAxisCoefficients(4, 2, 'bicubic', 'pil');
    expect(c.precision).toBe(22);
    expect([...c.start]).toEqual([0, 0]);
    expect([...c.count]).toEqual([4, 4]);
    expect([...c.weights.subarray(0, 4)]).toEqual([1923834, 1923834, 502623, -155987]);
    expect([...c.weights.subarray(c.stride, c.stride + 4)]).toEqual([
      -155987, 502623, 1923834, 1923834,
    ]);
  });

  it('picks torch’s int16 precision from the largest weight (0.4587 → 16 bits)', () => {
    const c = computeAxisCoefficients(4, 2, 'bicubic', 'torch');
    expect(c.precision).toBe(16);
    expect([...c.weights.subarray(0, 4)]).toEqual([30060, 30060, 7853, -2437]);
  });

  it('uses the unscaled support when upsampling', () => {
    const bicubic = computeAxisCoefficients(9, 20, 'bicubic', 'pil');
    const lanczos = computeAxisCoefficients(9, 20, 'lanczos', 'pil');
    expect(bicubic.stride).toBe(5); // ceil(2)·2 + 1
    expect(lanczos.stride).toBe(7); // ceil(3)·2 + 1
    // Each output's weights sum to 1 in fixed point, up to rounding of each tap.
    for (let o = 0; o < 20; o++) {
      let sum = 0;
      for (let j = 0; j < (lanczos.count[o] as number); j++)
        sum += lanczos.weights[o * lanczos.stride + j] as number;
      expect(Math.abs(sum - 2 ** 22)).toBeLessThanOrEqual(lanczos.count[o] as number);
    }
  });
});
