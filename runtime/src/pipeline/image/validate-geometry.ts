import { ValidationError } from '#core/errors.ts';
import { letterboxCrop } from './letterbox.ts';
import { selectBin } from './resolution-bins.ts';
import { MAX_ASPECT_RATIO } from './smart-resize.ts';

/** Qwen3-VL's patch × merge factor: `smart_resize` raises for a side below it. */
export const MIN_IMAGE_SIDE = 32;

/**
 * Rejects the (oriented) image sizes the pipeline cannot process, with the limits in the message:
 *
 * - a side below 32 px (`IMAGE_TOO_SMALL`): upstream's `smart_resize` needs both sides ≥ 32;
 * - an aspect ratio above 200:1 (`UNSUPPORTED_ASPECT_RATIO`): `smart_resize` raises for
 *   `max(h, w) / min(h, w) > 200` (float64, so exactly 200:1 passes);
 * - an empty letterbox crop (`UNSUPPORTED_ASPECT_RATIO`): the crop of reference §2.1 step 3 is empty
 *   when the fitted short side `trunc(short × binSide / long)` is 0. Within the 200:1 limit it is at
 *   least ⌊1024 / 200⌋ = 5 px (the 512 table's 256×1024 bins), so this check only guards against
 *   future changes to the limits or tables.
 *
 * @throws ValidationError with one of the codes above, or `INVALID_IMAGE` for non-positive or
 * fractional sizes.
 */
export function validateGeometry(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ValidationError(
      'INVALID_IMAGE',
      `Expected positive integer image sides but received ${width}×${height}`,
      { details: { width, height } },
    );
  }
  if (width < MIN_IMAGE_SIDE || height < MIN_IMAGE_SIDE) {
    throw new ValidationError(
      'IMAGE_TOO_SMALL',
      `Expected both image sides to be at least ${MIN_IMAGE_SIDE} px but received ${width}×${height}`,
      { details: { width, height, minSide: MIN_IMAGE_SIDE } },
    );
  }
  const ratio = Math.max(width, height) / Math.min(width, height);
  if (ratio > MAX_ASPECT_RATIO) {
    throw new ValidationError(
      'UNSUPPORTED_ASPECT_RATIO',
      `Expected an aspect ratio of at most ${MAX_ASPECT_RATIO}:1 but received ${width}×${height} (${ratio.toFixed(1)}:1)`,
      { details: { width, height, maxAspectRatio: MAX_ASPECT_RATIO } },
    );
  }
  const bin = selectBin(width, height);
  const crop = letterboxCrop(width, height, bin.width, bin.height);
  if (crop.width <= 0 || crop.height <= 0) {
    throw new ValidationError(
      'UNSUPPORTED_ASPECT_RATIO',
      `Expected an image whose letterbox crop in its ${bin.width}×${bin.height} bin is non-empty but ` +
        `received ${width}×${height}, which fits as ${crop.width}×${crop.height}`,
      { details: { width, height, binWidth: bin.width, binHeight: bin.height } },
    );
  }
}
