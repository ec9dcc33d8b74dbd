import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { ValidationError } from '#core/errors.ts';
import { ACCEPTED_IMAGE_FORMATS, type AcceptedImageFormat, sniffFormat } from './sniff-format.ts';

// The pipeline runs these checks right after decoding; keep them importable from here.
export { validateGeometry } from './validate-geometry.ts';

export interface DecodeOptions {
  /** Largest width × height accepted, checked from the header before any pixel is decoded. */
  readonly maxInputPixels: number;
  /**
   * Apply the EXIF orientation (aligned mode). Parity mode passes false because upstream loads
   * images with PIL and never calls `exif_transpose` (reference §9.3 quirk 7).
   */
  readonly autoOrient: boolean;
}

export interface DecodedImage {
  /** HWC, 3 channels, 8-bit sRGB. */
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly format: AcceptedImageFormat;
  /** The EXIF orientation tag found in the file (1 when absent), applied only with `autoOrient`. */
  readonly orientation: number;
  /** The file had an alpha channel; it was composited over white. */
  readonly hadAlpha: boolean;
  /** libvips' interpretation of the stored pixels before conversion, e.g. `srgb`, `b-w`, `cmyk`, `rgb16`. */
  readonly sourceSpace: string;
}

// 'error' rejects truncated and undecodable data but, like PIL, tolerates the libjpeg warnings
// common in camera files ("extraneous bytes before marker").
const FAIL_ON = 'error' as const;
const WHITE = { r: 255, g: 255, b: 255 } as const;

function describeFormats(): string {
  const names = ACCEPTED_IMAGE_FORMATS.map((f) => (f === 'webp' ? 'WebP' : f.toUpperCase()));
  return `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Decodes an uploaded image into 8-bit sRGB pixels, with one policy for every input:
 *
 * - JPEG, PNG and WebP are accepted, detected from the bytes; anything else is rejected.
 * - The pixel limit is checked from the header, so decompression bombs are never decoded.
 * - Alpha is composited over white (what transformers' `convert_rgb` does for the VLM; upstream's
 *   VAE path breaks on RGBA). Greyscale is replicated to RGB; CMYK and other spaces are converted
 *   to sRGB, through the embedded ICC profile when there is one; 16-bit samples become 8-bit.
 * - Animated images contribute their first frame.
 *
 * @throws ValidationError `UNSUPPORTED_IMAGE_FORMAT`, `IMAGE_TOO_LARGE` or `INVALID_IMAGE`
 * (empty, corrupt or truncated data).
 */
export async function decodeInput(
  bytes: Uint8Array,
  options: DecodeOptions,
): Promise<DecodedImage> {
  const { maxInputPixels, autoOrient } = options;
  if (!Number.isSafeInteger(maxInputPixels) || maxInputPixels <= 0) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "maxInputPixels" to be a positive integer but received ${maxInputPixels}`,
    );
  }
  if (bytes.length === 0) {
    throw new ValidationError('INVALID_IMAGE', 'Expected image bytes but received an empty body');
  }
  const sniffed = sniffFormat(bytes);
  if (!sniffed.accepted) {
    throw new ValidationError(
      'UNSUPPORTED_IMAGE_FORMAT',
      `Expected a ${describeFormats()} image but received ${sniffed.name}`,
      { details: { received: sniffed.name, allowed: [...ACCEPTED_IMAGE_FORMATS] } },
    );
  }
  const format = sniffed.format;

  // Header only: reading the size of a bomb is cheap, decoding it is not.
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false, failOn: FAIL_ON }).metadata();
  } catch (error) {
    throw new ValidationError(
      'INVALID_IMAGE',
      `Expected a readable ${format.toUpperCase()} header but decoding failed: ${errorText(error)}`,
      { cause: error, details: { format } },
    );
  }
  const pixels = metadata.width * metadata.height;
  if (pixels > maxInputPixels) {
    throw new ValidationError(
      'IMAGE_TOO_LARGE',
      `Expected at most ${maxInputPixels} pixels but received a ${metadata.width}×${metadata.height} image (${pixels} pixels)`,
      { details: { width: metadata.width, height: metadata.height, maxInputPixels } },
    );
  }

  let pipeline = sharp(bytes, { limitInputPixels: maxInputPixels, failOn: FAIL_ON, autoOrient });
  if (metadata.hasAlpha) pipeline = pipeline.flatten({ background: WHITE });
  pipeline = pipeline.toColourspace('srgb').raw({ depth: 'uchar' });
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await pipeline.toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new ValidationError(
      'INVALID_IMAGE',
      `Expected a complete, decodable ${format.toUpperCase()} image but decoding failed: ${errorText(error)}`,
      { cause: error, details: { format } },
    );
  }
  const { data, info } = decoded;
  if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
    throw new ValidationError(
      'INVALID_IMAGE',
      `Expected 3-channel pixels after conversion to sRGB but received ${info.channels} channels ` +
        `from a ${metadata.space} ${format.toUpperCase()} image`,
      { details: { format, space: metadata.space, channels: info.channels } },
    );
  }
  return {
    rgb: data,
    width: info.width,
    height: info.height,
    format,
    orientation: metadata.orientation ?? 1,
    hadAlpha: metadata.hasAlpha,
    sourceSpace: metadata.space,
  };
}
