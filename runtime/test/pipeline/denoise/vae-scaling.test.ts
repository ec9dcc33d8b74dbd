import { describe, expect, it } from 'vitest';
import { scaleLatent, unscaleLatent } from '#runtime/pipeline/denoise/vae-scaling.ts';

const FACTOR = 0.41407;
const f = Math.fround;

describe('scaleLatent and unscaleLatent', () => {
  it('multiplies by the float32 factor on the encoder side, in place by default', () => {
    const latent = Float32Array.from([1, -2.5, 0.3]);
    const result = scaleLatent(latent, FACTOR);

    expect(result).toBe(latent);
    expect(Array.from(result)).toEqual([f(FACTOR), f(-2.5 * f(FACTOR)), f(f(0.3) * f(FACTOR))]);
    expect(result[0]).toBeCloseTo(0.41407, 7);
  });

  it('divides by the float32 factor on the decoder side (not a reciprocal multiply)', () => {
    const latent = Float32Array.from([0.41407, 1, -3.7]);
    const out = new Float32Array(3);
    const result = unscaleLatent(latent, FACTOR, out);

    expect(result).toBe(out);
    expect(Array.from(latent)).toEqual([f(0.41407), 1, f(-3.7)]);
    expect(Array.from(out)).toEqual([1, f(1 / f(FACTOR)), f(f(-3.7) / f(FACTOR))]);
    expect(out[1]).toBeCloseTo(2.415050595, 6);
  });

  it('round-trips to within one float32 ulp', () => {
    const original = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 5);
    const back = unscaleLatent(scaleLatent(original.slice(), FACTOR), FACTOR);
    for (let i = 0; i < original.length; i++) {
      const x = original[i] as number;
      expect(Math.abs((back[i] as number) - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -23);
    }
  });

  it('refuses a non-positive or non-finite factor and an out buffer of another length', () => {
    for (const factor of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => scaleLatent(new Float32Array(2), factor)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
      expect(() => unscaleLatent(new Float32Array(2), factor)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    expect(() => scaleLatent(new Float32Array(2), FACTOR, new Float32Array(3))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
