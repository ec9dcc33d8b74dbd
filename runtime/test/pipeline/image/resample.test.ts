import { describe, expect, it } from 'vitest';
import { parityResampler, pilResampler, sharpResampler } from '#runtime/pipeline/image/resample.ts';
import { resampleRgbSeparable } from '#runtime/pipeline/image/separable-resample.ts';
import { coordinateRgb } from '../../fixtures/images/sample-images.ts';

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

/** A smooth 96×64 image (gradients only, no wrap-around), where kernels agree closely. */
function smoothRgb(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      rgb[o] = Math.round((x * 255) / (width - 1));
      rgb[o + 1] = Math.round((y * 255) / (height - 1));
      rgb[o + 2] = 128;
    }
  }
  return rgb;
}

describe('sharpResampler', () => {
  it('stretches to the requested size, ignoring the aspect ratio', async () => {
    const out = await sharpResampler.resizeRgb(smoothRgb(96, 64), 96, 64, 40, 50, 'lanczos');
    expect(out.length).toBe(40 * 50 * 3);
  });

  it('stays close to Pillow on smooth content with both filters', async () => {
    const input = smoothRgb(96, 64);
    for (const filter of ['bicubic', 'lanczos'] as const) {
      const viaSharp = await sharpResampler.resizeRgb(input, 96, 64, 37, 29, filter);
      const viaPil = await pilResampler.resizeRgb(input, 96, 64, 37, 29, filter);
      expect(meanAbsDiff(viaSharp, viaPil)).toBeLessThan(1.5);
    }
  });

  it('returns a copy for an unchanged size', async () => {
    const input = coordinateRgb(12, 7);
    const out = await sharpResampler.resizeRgb(input, 12, 7, 12, 7, 'bicubic');
    expect(out).not.toBe(input);
    expect([...out]).toEqual([...input]);
  });

  it('rejects a pixel buffer that does not match the size', async () => {
    await expect(
      sharpResampler.resizeRgb(new Uint8Array(10), 2, 2, 4, 4, 'lanczos'),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('pilResampler and parityResampler', () => {
  const input = coordinateRgb(45, 31);

  it('pilResampler runs the Pillow kernel for both filters', async () => {
    for (const filter of ['bicubic', 'lanczos'] as const) {
      const out = await pilResampler.resizeRgb(input, 45, 31, 20, 13, filter);
      expect([...out]).toEqual([...resampleRgbSeparable(input, 45, 31, 20, 13, filter, 'pil')]);
    }
  });

  it('parityResampler runs torch’s kernel for bicubic and Pillow’s for lanczos, as upstream does', async () => {
    const bicubic = await parityResampler.resizeRgb(input, 45, 31, 20, 13, 'bicubic');
    const lanczos = await parityResampler.resizeRgb(input, 45, 31, 20, 13, 'lanczos');
    expect([...bicubic]).toEqual([
      ...resampleRgbSeparable(input, 45, 31, 20, 13, 'bicubic', 'torch'),
    ]);
    expect([...lanczos]).toEqual([
      ...resampleRgbSeparable(input, 45, 31, 20, 13, 'lanczos', 'pil'),
    ]);
  });

  it('rejects non-integer sizes', async () => {
    await expect(pilResampler.resizeRgb(input, 45, 31, 20.5, 13, 'lanczos')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
