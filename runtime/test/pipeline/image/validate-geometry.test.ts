import { describe, expect, it } from 'vitest';
import { validateGeometry } from '#runtime/pipeline/image/validate-geometry.ts';

describe('validateGeometry', () => {
  it('accepts ordinary photos and the extreme sizes upstream still processes', () => {
    for (const [w, h] of [
      [1920, 1080],
      [32, 32],
      [32, 6400],
      [6400, 32],
      [4000, 3000],
    ] as const) {
      expect(() => validateGeometry(w, h)).not.toThrow();
    }
  });

  it('rejects a side below 32 px as IMAGE_TOO_SMALL with the limit in the details', () => {
    expect(() => validateGeometry(31, 400)).toThrow(
      expect.objectContaining({
        code: 'IMAGE_TOO_SMALL',
        details: { width: 31, height: 400, minSide: 32 },
      }),
    );
    expect(() => validateGeometry(400, 16)).toThrow(
      expect.objectContaining({ code: 'IMAGE_TOO_SMALL' }),
    );
  });

  it('rejects an aspect ratio above 200:1 as UNSUPPORTED_ASPECT_RATIO', () => {
    expect(() => validateGeometry(6401, 32)).toThrow(
      expect.objectContaining({
        code: 'UNSUPPORTED_ASPECT_RATIO',
        details: expect.objectContaining({ maxAspectRatio: 200 }),
      }),
    );
    expect(() => validateGeometry(40, 8001)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_ASPECT_RATIO' }),
    );
  });

  it('rejects fractional or non-positive sizes as INVALID_IMAGE', () => {
    expect(() => validateGeometry(0, 100)).toThrow(
      expect.objectContaining({ code: 'INVALID_IMAGE' }),
    );
    expect(() => validateGeometry(100.5, 100)).toThrow(
      expect.objectContaining({ code: 'INVALID_IMAGE' }),
    );
  });
});
