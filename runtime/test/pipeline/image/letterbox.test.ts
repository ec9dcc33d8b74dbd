import { describe, expect, it } from 'vitest';
import { letterboxCrop } from '#runtime/pipeline/image/letterbox.ts';
import { selectBin } from '#runtime/pipeline/image/resolution-bins.ts';

describe('letterboxCrop', () => {
  it('crops 6 px from the top and bottom of the 1344×768 bin for a 1920×1080 input (§9.2)', () => {
    const bin = selectBin(1920, 1080);
    expect(letterboxCrop(1920, 1080, bin.width, bin.height)).toEqual({
      left: 0,
      top: 6,
      right: 1344,
      bottom: 762,
      width: 1344,
      height: 756,
    });
  });

  it('crops 43 px from the left and right of the 2304×1664 bin for a 4000×3000 input (§9.2)', () => {
    const bin = selectBin(4000, 3000);
    expect(letterboxCrop(4000, 3000, bin.width, bin.height)).toEqual({
      left: 43,
      top: 0,
      right: 2261,
      bottom: 1664,
      width: 2218,
      height: 1664,
    });
  });

  it('keeps the whole bin when the input has the bin’s aspect ratio', () => {
    expect(letterboxCrop(2048, 2048, 2048, 2048)).toEqual({
      left: 0,
      top: 0,
      right: 2048,
      bottom: 2048,
      width: 2048,
      height: 2048,
    });
    expect(letterboxCrop(672, 384, 1344, 768)).toMatchObject({ width: 1344, height: 768 });
  });

  it('truncates the fitted side and floors the margins (odd leftover goes right/bottom)', () => {
    // 1000×700 in 1216×832: 832/700 < 1216/1000, so rw = trunc(1000·832/700) = 1188, margin 28 → 14/14.
    expect(letterboxCrop(1000, 700, 1216, 832)).toMatchObject({ left: 14, right: 1202, top: 0 });
    // 1001×700: rw = trunc(1001·832/700) = 1189, leftover 27 → left 13, right margin 14.
    expect(letterboxCrop(1001, 700, 1216, 832)).toMatchObject({
      left: 13,
      right: 1202,
      width: 1189,
    });
  });
});
