import { describe, expect, it } from 'vitest';
import { letterboxCrop } from '#runtime/pipeline/image/letterbox.ts';
import { pilResampler, type Resampler } from '#runtime/pipeline/image/resample.ts';
import { selectBin } from '#runtime/pipeline/image/resolution-bins.ts';
import { cropRgb, restoreToInput } from '#runtime/pipeline/image/restore-output.ts';
import { coordinateRgb } from '../../fixtures/images/sample-images.ts';

const RED = [255, 0, 0];
const GREY = [90, 90, 90];

/** A bin-sized image: `margin` red rows at top and bottom, grey in between. */
function bandedBin(width: number, height: number, margin: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const colour = y < margin || y >= height - margin ? RED : GREY;
    for (let x = 0; x < width; x++) rgb.set(colour, (y * width + x) * 3);
  }
  return rgb;
}

function recorder(calls: unknown[]): Resampler {
  return {
    name: 'recorder',
    async resizeRgb(rgb, width, height, outWidth, outHeight, filter) {
      calls.push({ bytes: rgb.length, width, height, outWidth, outHeight, filter });
      return new Uint8Array(outWidth * outHeight * 3);
    },
  };
}

describe('restoreToInput on the 1920×1080 geometry (bin 1344×768, crop rows 6–761)', () => {
  const bin = selectBin(1920, 1080);
  const crop = letterboxCrop(1920, 1080, bin.width, bin.height);

  it('parity: crops the 1344×756 box, then LANCZOS-resizes it to 1920×1080', async () => {
    const calls: unknown[] = [];
    await restoreToInput(
      new Uint8Array(1344 * 768 * 3),
      1344,
      768,
      crop,
      1920,
      1080,
      recorder(calls),
    );
    expect(calls).toEqual([
      {
        bytes: 1344 * 756 * 3,
        width: 1344,
        height: 756,
        outWidth: 1920,
        outHeight: 1080,
        filter: 'lanczos',
      },
    ]);
  });

  it('parity: removes the 6-row margins entirely (no red survives)', async () => {
    const out = await restoreToInput(
      bandedBin(1344, 768, 6),
      1344,
      768,
      crop,
      1920,
      1080,
      pilResampler,
    );
    expect(out.length).toBe(1920 * 1080 * 3);
    expect([...out.subarray(0, 3)]).toEqual(GREY);
    expect([...out.subarray(out.length - 3)]).toEqual(GREY);
    expect(out.every((v) => v === 90)).toBe(true);
  });

  it('aligned (crop = null): resizes the whole bin, so the margins come back scaled', async () => {
    const calls: unknown[] = [];
    await restoreToInput(
      new Uint8Array(1344 * 768 * 3),
      1344,
      768,
      null,
      1920,
      1080,
      recorder(calls),
    );
    expect(calls).toEqual([
      {
        bytes: 1344 * 768 * 3,
        width: 1344,
        height: 768,
        outWidth: 1920,
        outHeight: 1080,
        filter: 'lanczos',
      },
    ]);
    const out = await restoreToInput(
      bandedBin(1344, 768, 6),
      1344,
      768,
      null,
      1920,
      1080,
      pilResampler,
    );
    expect([...out.subarray(0, 3)]).toEqual(RED);
  });

  it('skips the resize when the box already has the input size (revert_resize)', async () => {
    const rgb = coordinateRgb(64, 40);
    const calls: unknown[] = [];
    const box = { left: 0, top: 0, right: 64, bottom: 40, width: 64, height: 40 };
    const out = await restoreToInput(rgb, 64, 40, box, 64, 40, recorder(calls));
    expect(calls).toEqual([]);
    expect([...out]).toEqual([...rgb]);
  });
});

describe('cropRgb', () => {
  it('copies the rows and columns of the box', () => {
    const rgb = coordinateRgb(10, 8);
    const out = cropRgb(rgb, 10, 8, { left: 2, top: 3, right: 5, bottom: 5, width: 3, height: 2 });
    // R = x, G = y in coordinateRgb
    expect([out[0], out[1]]).toEqual([2, 3]);
    expect([out[15], out[16]]).toEqual([4, 4]);
    expect(out.length).toBe(3 * 2 * 3);
  });

  it('rejects a box outside the image', () => {
    expect(() =>
      cropRgb(coordinateRgb(10, 8), 10, 8, {
        left: 0,
        top: 0,
        right: 11,
        bottom: 8,
        width: 11,
        height: 8,
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
