import { ValidationError } from '#core/errors.ts';

/** Upstream's limit in `smart_resize`: it raises when max(h, w) / min(h, w) exceeds this. */
export const MAX_ASPECT_RATIO = 200;

export interface SmartResizeOptions {
  /** patch_size × merge_size (32 for Qwen3-VL). */
  readonly factor: number;
  readonly minPixels: number;
  readonly maxPixels: number;
}

export interface ResizedSize {
  readonly height: number;
  readonly width: number;
}

/**
 * Python's `round()` on a float: ties go to the even integer (`round(2.5) == 2`), unlike
 * `Math.round`, which sends them up.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The size Qwen2-VL's image processor resizes an image to (transformers 4.57
 * `image_processing_qwen2_vl.smart_resize`), evaluated in float64 with upstream's operation order,
 * because algebraically equal rewrites change the token count for ordinary photo sizes (reference
 * Appendix rule 1).
 *
 * @throws ValidationError `UNSUPPORTED_ASPECT_RATIO` above 200:1 and `IMAGE_TOO_SMALL` for a side
 * below `factor`, the cases upstream raises on.
 * @example smartResize(1080, 1920, { factor: 32, minPixels: 123904, maxPixels: 451584 })
 * // { height: 480, width: 896 }
 */
export function smartResize(
  height: number,
  width: number,
  options: SmartResizeOptions,
): ResizedSize {
  const { factor, minPixels, maxPixels } = options;
  if (height < factor || width < factor) {
    throw new ValidationError(
      'IMAGE_TOO_SMALL',
      `Expected both image sides to be at least ${factor} px but received ${width}×${height}`,
      { details: { width, height, minSide: factor } },
    );
  }
  const ratio = Math.max(height, width) / Math.min(height, width);
  if (ratio > MAX_ASPECT_RATIO) {
    throw new ValidationError(
      'UNSUPPORTED_ASPECT_RATIO',
      `Expected an aspect ratio of at most ${MAX_ASPECT_RATIO}:1 but received ${width}×${height} (${ratio.toFixed(1)}:1)`,
      { details: { width, height, maxAspectRatio: MAX_ASPECT_RATIO } },
    );
  }
  let hBar = roundHalfEven(height / factor) * factor;
  let wBar = roundHalfEven(width / factor) * factor;
  if (hBar * wBar > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    hBar = Math.max(factor, Math.floor(height / beta / factor) * factor);
    wBar = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (hBar * wBar < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    hBar = Math.ceil((height * beta) / factor) * factor;
    wBar = Math.ceil((width * beta) / factor) * factor;
  }
  return { height: hBar, width: wBar };
}
