import { describe, expect, it } from 'vitest';
import { pilResampler, type Resampler } from '#runtime/pipeline/image/resample.ts';
import { prepareVisionInputs } from '#runtime/pipeline/image/vlm-pixels.ts';
import { coordinateRgb } from '../../fixtures/images/sample-images.ts';

const VISION = {
  patchSize: 16,
  mergeSize: 2,
  temporalPatchSize: 2,
  minPixels: 123_904,
  maxPixels: 451_584,
  imageMean: [0.5, 0.5, 0.5],
  imageStd: [0.5, 0.5, 0.5],
} as const;

/** Records the requested size and returns mid-grey pixels without resampling. */
function fakeResampler(calls: unknown[]): Resampler {
  return {
    name: 'fake',
    async resizeRgb(_rgb, width, height, outWidth, outHeight, filter) {
      calls.push({ width, height, outWidth, outHeight, filter });
      return new Uint8Array(outWidth * outHeight * 3).fill(128);
    },
  };
}

describe('prepareVisionInputs', () => {
  it.each([
    [1024, 1024, 672, 672, 42, 42, 441],
    [2048, 2048, 672, 672, 42, 42, 441],
    [1920, 1080, 896, 480, 30, 56, 420],
    [4000, 3000, 768, 576, 36, 48, 432],
    [512, 512, 512, 512, 32, 32, 256],
    [300, 300, 352, 352, 22, 22, 121],
  ])('gives the §2.2 shapes for a %i×%i input', async (w, h, rw, rh, gh, gw, tokens) => {
    const calls: unknown[] = [];
    const v = await prepareVisionInputs(
      new Uint8Array(w * h * 3),
      w,
      h,
      VISION,
      fakeResampler(calls),
    );
    expect(calls).toEqual([
      { width: w, height: h, outWidth: rw, outHeight: rh, filter: 'bicubic' },
    ]);
    const n = gh * gw;
    expect(v).toMatchObject({
      resizedWidth: rw,
      resizedHeight: rh,
      gridH: gh,
      gridW: gw,
      numPatches: n,
    });
    expect(v.numImageTokens).toBe(tokens);
    expect(v.pixelValues.length).toBe(n * 1536);
    expect(v.posIdx.length).toBe(4 * n);
    expect(v.posW.length).toBe(4 * n);
    expect(v.ropeCos.length).toBe(n * 64);
    expect(v.ropeSin.length).toBe(n * 64);
  });

  it('normalises with the fused (x − 127.5) / 127.5 in float32', async () => {
    const v = await prepareVisionInputs(
      new Uint8Array(352 * 352 * 3),
      352,
      352,
      VISION,
      fakeResampler([]),
    );
    expect(v.pixelValues[0]).toBe(Math.fround(0.5 / 127.5)); // 128
    const black = new Uint8Array(352 * 352 * 3);
    const white = new Uint8Array(352 * 352 * 3).fill(255);
    expect((await prepareVisionInputs(black, 352, 352, VISION, pilResampler)).pixelValues[7]).toBe(
      -1,
    );
    expect((await prepareVisionInputs(white, 352, 352, VISION, pilResampler)).pixelValues[7]).toBe(
      1,
    );
  });

  it('orders rows by merge window and columns by (c, t, py, px)', async () => {
    // 352×352 stays 352×352 (area = min_pixels), so the pixels are the input's own.
    const size = 352;
    const rgb = coordinateRgb(size, size);
    const v = await prepareVisionInputs(rgb, size, size, VISION, pilResampler);
    const gw = 22;
    const norm = (x: number) => Math.fround((x - 127.5) / 127.5);
    const sample = (x: number, y: number, c: number) => rgb[(y * size + x) * 3 + c] as number;
    // Written independently of the implementation: patch (pr, pc) sits in merge window
    // (pr >> 1, pc >> 1), whose four patches are consecutive rows.
    const rowOf = (pr: number, pc: number) =>
      ((pr >> 1) * (gw / 2) + (pc >> 1)) * 4 + (pr & 1) * 2 + (pc & 1);
    for (const [pr, pc, c, t, py, px] of [
      [0, 0, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 5],
      [1, 0, 1, 1, 15, 0],
      [1, 1, 2, 0, 7, 9],
      [5, 8, 2, 1, 3, 14],
      [21, 21, 1, 0, 15, 15],
      [20, 3, 0, 1, 8, 8],
    ] as const) {
      const x = pc * 16 + px;
      const y = pr * 16 + py;
      const index = rowOf(pr, pc) * 1536 + c * 512 + t * 256 + py * 16 + px;
      expect(v.pixelValues[index]).toBe(norm(sample(x, y, c)));
    }
    // Row 2 is patch (1, 0), not (0, 2): its first red value is x = 0, green is y = 16.
    expect(v.pixelValues[2 * 1536]).toBe(norm(0));
    expect(v.pixelValues[2 * 1536 + 512]).toBe(norm(16));
    // Both temporal copies are the same frame.
    expect(v.pixelValues.subarray(1536 * 9, 1536 * 9 + 256)).toEqual(
      v.pixelValues.subarray(1536 * 9 + 256, 1536 * 9 + 512),
    );
  });
});
