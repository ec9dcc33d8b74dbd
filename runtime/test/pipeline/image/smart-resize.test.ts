import { describe, expect, it } from 'vitest';
import { roundHalfEven, smartResize } from '#runtime/pipeline/image/smart-resize.ts';

const VIBE = { factor: 32, minPixels: 123_904, maxPixels: 451_584 };

function tokens(size: { height: number; width: number }): number {
  return ((size.height / 16) * (size.width / 16)) / 4;
}

describe('roundHalfEven', () => {
  it('rounds ties to the even neighbour like Python’s round()', () => {
    expect([0.5, 1.5, 2.5, 3.5, 12.5, -2.5].map(roundHalfEven)).toEqual([0, 2, 2, 4, 12, -2]);
    expect([2.4999, 2.5001, 33.75].map(roundHalfEven)).toEqual([2, 3, 34]);
  });
});

describe('smartResize', () => {
  it.each([
    [1024, 1024, 672, 672, 441],
    [2048, 2048, 672, 672, 441],
    [1080, 1920, 480, 896, 420],
    [3000, 4000, 576, 768, 432],
    [512, 512, 512, 512, 256],
    [300, 300, 352, 352, 121],
  ])('maps h×w %i×%i to %i×%i (%i merged tokens) as in reference §2.2', (h, w, rh, rw, merged) => {
    const size = smartResize(h, w, VIBE);
    expect(size).toEqual({ height: rh, width: rw });
    expect(tokens(size)).toBe(merged);
  });

  it('rounds h/32 = 12.5 down to 12 (half-even), where Math.round would give 13', () => {
    // 400×600 (h×w): round(12.5) = 12 → 384; Math.round would make it 416 (13 × 32).
    expect(Math.round(400 / 32)).toBe(13);
    expect(smartResize(400, 600, VIBE)).toEqual({ height: 384, width: 608 });
  });

  it('keeps upstream’s operation order: floor(h / beta / 32), not an algebraic rewrite', () => {
    // For 3000×1080 (h×w), h / beta / 32 is exactly 35.0 while h·sqrt(max / (h·w)) / 32 is
    // 34.99999999999999: the rewrite would give 1088 rows instead of 1120.
    const beta = Math.sqrt((3000 * 1080) / 451_584);
    expect(3000 / beta / 32).toBe(35);
    expect((3000 * Math.sqrt(451_584 / (3000 * 1080))) / 32).toBeLessThan(35);
    expect(smartResize(3000, 1080, VIBE)).toEqual({ height: 1120, width: 384 });
  });

  it('scales tiny and extreme images up to the minimum area', () => {
    expect(smartResize(48, 1000, VIBE)).toEqual({ height: 96, width: 1632 });
    expect(smartResize(32, 6400, VIBE)).toEqual({ height: 32, width: 6400 });
  });

  it('rejects sides below the factor and aspect ratios above 200:1, like upstream', () => {
    expect(() => smartResize(31, 500, VIBE)).toThrow(
      expect.objectContaining({ code: 'IMAGE_TOO_SMALL' }),
    );
    expect(() => smartResize(32, 6401, VIBE)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_ASPECT_RATIO' }),
    );
  });
});
