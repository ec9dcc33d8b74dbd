import sharp from 'sharp';
import { ValidationError } from '#core/errors.ts';

export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface EncodeOptions {
  readonly format: OutputFormat;
  /**
   * JPEG/WebP quality, an integer from 1 to 100. PNG is lossless and ignores it.
   * @default 90
   */
  readonly quality?: number;
}

/** zlib level 6: about 3× faster than 9 on 2048² output for a few percent more bytes. */
export const PNG_COMPRESSION_LEVEL = 6;
export const DEFAULT_QUALITY = 90;

/**
 * Encodes HWC RGB uint8 pixels with sharp. The pixels go in as a uint8 buffer: sharp reads float
 * arrays as 16-bit data and would write a black image (platform notes §2.3).
 *
 * @throws ValidationError `INVALID_ARGUMENT` for an unknown format, a quality outside 1–100 or a
 * pixel buffer whose length does not match the size.
 */
export async function encodeOutput(
  rgb: Uint8Array,
  width: number,
  height: number,
  options: EncodeOptions,
): Promise<Uint8Array> {
  const { format, quality = DEFAULT_QUALITY } = options;
  if (!OUTPUT_FORMATS.includes(format)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "format" to be one of ${OUTPUT_FORMATS.join(', ')} but received ${JSON.stringify(format)}`,
    );
  }
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "quality" to be an integer from 1 to 100 but received ${quality}`,
      { details: { field: 'quality', received: quality } },
    );
  }
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected positive integer output sides but received ${width}×${height}`,
    );
  }
  if (rgb.length !== width * height * 3) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected ${width * height * 3} bytes of RGB pixels for ${width}×${height} but received ${rgb.length}`,
    );
  }
  const image = sharp(rgb, { raw: { width, height, channels: 3 } });
  const encoder =
    format === 'png'
      ? image.png({ compressionLevel: PNG_COMPRESSION_LEVEL })
      : format === 'jpeg'
        ? image.jpeg({ quality })
        : image.webp({ quality });
  return encoder.toBuffer();
}
