import sharp from 'sharp';
import { ValidationError } from '#core/errors.ts';
import { type ResampleFilter, resampleRgbSeparable } from './separable-resample.ts';

export type { ResampleFilter } from './separable-resample.ts';

/** Resizes HWC RGB uint8 pixels, ignoring the aspect ratio (a stretch). */
export interface Resampler {
  readonly name: string;
  /** Returns `outWidth × outHeight × 3` bytes; the input is not modified. */
  resizeRgb(
    rgb: Uint8Array,
    width: number,
    height: number,
    outWidth: number,
    outHeight: number,
    filter: ResampleFilter,
  ): Promise<Uint8Array>;
}

function checkSizes(rgb: Uint8Array, width: number, height: number, outW: number, outH: number) {
  const sizes = [width, height, outW, outH];
  if (!sizes.every((s) => Number.isSafeInteger(s) && s > 0)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected positive integer sizes for a resize but received ${width}×${height} → ${outW}×${outH}`,
    );
  }
  if (rgb.length !== width * height * 3) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected ${width * height * 3} bytes of RGB pixels for ${width}×${height} but received ${rgb.length}`,
    );
  }
}

const SHARP_KERNELS = { bicubic: 'cubic', lanczos: 'lanczos3' } as const;

/**
 * libvips through sharp (kernel `cubic` = Catmull-Rom, a = −0.5, for bicubic; `lanczos3` for
 * lanczos; `fit: 'fill'`). Native and fast, but its rounding and its shrink-then-reduce strategy for
 * large factors differ from PIL and torch by a few levels: used in `aligned` mode.
 */
export const sharpResampler: Resampler = {
  name: 'sharp',
  async resizeRgb(rgb, width, height, outWidth, outHeight, filter) {
    checkSizes(rgb, width, height, outWidth, outHeight);
    if (outWidth === width && outHeight === height) return rgb.slice();
    const { data, info } = await sharp(rgb, { raw: { width, height, channels: 3 } })
      .resize(outWidth, outHeight, { fit: 'fill', kernel: SHARP_KERNELS[filter] })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width !== outWidth || info.height !== outHeight || info.channels !== 3) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected sharp to produce ${outWidth}×${outHeight}×3 but it produced ${info.width}×${info.height}×${info.channels}`,
      );
    }
    return data;
  },
};

/**
 * Pillow's `Image.resize` (BICUBIC a = −0.5, LANCZOS a = 3) ported to TypeScript, bit-exact on the
 * committed Pillow goldens. Upstream uses it for the VAE stretch and the restore (LANCZOS).
 */
export const pilResampler: Resampler = {
  name: 'pil',
  async resizeRgb(rgb, width, height, outWidth, outHeight, filter) {
    checkSizes(rgb, width, height, outWidth, outHeight);
    return resampleRgbSeparable(rgb, width, height, outWidth, outHeight, filter, 'pil');
  },
};

/**
 * What upstream runs for each filter: torch's uint8 antialiased bicubic (the Qwen2-VL fast image
 * processor, through torchvision) and Pillow's LANCZOS (the VAE stretch and the restore). For
 * `parity` mode. The torch kernel is ported from source; unlike the Pillow one it has no goldens
 * from a real torch run yet.
 */
export const parityResampler: Resampler = {
  name: 'parity',
  async resizeRgb(rgb, width, height, outWidth, outHeight, filter) {
    checkSizes(rgb, width, height, outWidth, outHeight);
    const flavour = filter === 'bicubic' ? 'torch' : 'pil';
    return resampleRgbSeparable(rgb, width, height, outWidth, outHeight, filter, flavour);
  },
};
