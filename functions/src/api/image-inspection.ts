/**
 * The submission-time image policy: the same rules as the worker's decoder
 * (runtime/src/pipeline/image/decode-input.ts, sniff-format.ts and validate-geometry.ts), applied
 * from the header only, before anything is stored or queued.
 *
 * functions/ must not import runtime/, and the policy does not live in core/ yet, so the format
 * signatures and the geometry limits are repeated here. Keep them in step with runtime until the
 * policy moves to core (asked for in the issue 3 report):
 * - formats JPEG, PNG, WebP, detected from the bytes (never from a content type);
 * - the pixel limit checked from the header (decompression bombs never decode);
 * - both sides at least MIN_IMAGE_SIDE (Qwen3-VL's smart_resize raises below 32 px);
 * - an aspect ratio of at most MAX_ASPECT_RATIO:1 (smart_resize raises above 200; exactly 200 passes).
 *   The worker's third check (an empty letterbox crop) cannot trigger within these two.
 *
 * Only the header is read: a file whose pixel data is corrupt past the header passes here and fails
 * its job with INVALID_IMAGE at the worker, which decodes it fully.
 */
import { createHash } from 'node:crypto';
import sharp, { type Metadata } from 'sharp';
import { ValidationError } from '#core/errors.ts';

/** Mirrors runtime/src/pipeline/image/validate-geometry.ts MIN_IMAGE_SIDE. */
export const MIN_IMAGE_SIDE = 32;
/** Mirrors runtime/src/pipeline/image/smart-resize.ts MAX_ASPECT_RATIO. */
export const MAX_ASPECT_RATIO = 200;

export const ACCEPTED_IMAGE_FORMATS = ['jpeg', 'png', 'webp'] as const;
export type AcceptedImageFormat = (typeof ACCEPTED_IMAGE_FORMATS)[number];
const ALLOWED_TEXT = 'JPEG, PNG or WebP';

export interface InspectionLimits {
  readonly maxBytes: number;
  readonly maxInputPixels: number;
}

export interface InspectedImage {
  readonly format: AcceptedImageFormat;
  /** The size the pipeline works on: EXIF orientation applied when `autoOrient`. */
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  /** Lowercase hex SHA-256 of the bytes. */
  readonly sha256: string;
}

/**
 * Checks an image's bytes against the submission policy and returns what the job record needs.
 * `autoOrient` is true for the `aligned` size mode (EXIF orientation applied) and false for
 * `parity`, as in the worker.
 * @throws ValidationError `INVALID_IMAGE`, `IMAGE_TOO_LARGE` (bytes or pixels),
 *   `UNSUPPORTED_IMAGE_FORMAT`, `IMAGE_TOO_SMALL` or `UNSUPPORTED_ASPECT_RATIO`.
 */
export async function inspectImage(
  bytes: Uint8Array,
  limits: InspectionLimits,
  options: { readonly autoOrient: boolean },
): Promise<InspectedImage> {
  if (bytes.byteLength === 0) {
    throw new ValidationError(
      'INVALID_IMAGE',
      `Expected ${ALLOWED_TEXT} image bytes but received none`,
    );
  }
  if (bytes.byteLength > limits.maxBytes) {
    throw new ValidationError(
      'IMAGE_TOO_LARGE',
      `Expected an image of at most ${limits.maxBytes} bytes but received ${bytes.byteLength}`,
      { details: { bytes: bytes.byteLength, maxBytes: limits.maxBytes } },
    );
  }
  const format = sniffImageFormat(bytes);
  if (typeof format !== 'string') {
    const received = format.name;
    throw new ValidationError(
      'UNSUPPORTED_IMAGE_FORMAT',
      `Expected a ${ALLOWED_TEXT} image but received ${received}`,
      { details: { received, allowed: [...ACCEPTED_IMAGE_FORMATS] } },
    );
  }
  let metadata: Metadata;
  try {
    // limitInputPixels is off for this header read so that the message can give the size found;
    // the limit is compared just below, and nothing here decodes pixels.
    metadata = await sharp(bytes, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch (error) {
    throw new ValidationError(
      'INVALID_IMAGE',
      `Expected a readable ${format.toUpperCase()} header but it could not be read: ${error instanceof Error ? error.message.trim() : String(error)}`,
      { cause: error, details: { format } },
    );
  }
  const { width, height } = options.autoOrient ? metadata.autoOrient : metadata;
  const pixels = width * height;
  if (pixels > limits.maxInputPixels) {
    throw new ValidationError(
      'IMAGE_TOO_LARGE',
      `Expected at most ${limits.maxInputPixels} pixels but received a ${width}×${height} image (${pixels} pixels)`,
      { details: { width, height, pixels, maxInputPixels: limits.maxInputPixels } },
    );
  }
  checkGeometry(width, height);
  return {
    format,
    width,
    height,
    bytes: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

function checkGeometry(width: number, height: number): void {
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
}

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  return (
    bytes.length >= offset + signature.length &&
    signature.every((value, i) => bytes[offset + i] === value)
  );
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));
}

/**
 * The format named by the leading bytes: an accepted format, or `{ name }` describing what arrived
 * for the error message ("GIF", "HTML", "unrecognised data", ...).
 */
export function sniffImageFormat(
  bytes: Uint8Array,
): AcceptedImageFormat | { readonly name: string } {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  const head = ascii(bytes, 0, 6);
  if (head === 'GIF87a' || head === 'GIF89a') return { name: 'GIF' };
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) {
    return { name: 'TIFF' };
  }
  if (head.startsWith('BM')) return { name: 'BMP' };
  if (ascii(bytes, 4, 8) === 'ftyp') {
    const brand = ascii(bytes, 8, 12);
    if (brand.startsWith('avi')) return { name: 'AVIF' };
    if (brand.startsWith('he') || brand === 'mif1' || brand === 'msf1')
      return { name: 'HEIC/HEIF' };
    return { name: 'ISO media' };
  }
  if (head.startsWith('%PDF')) return { name: 'PDF' };
  const text = ascii(bytes, 0, 512).trimStart().toLowerCase();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) {
    return { name: 'SVG' };
  }
  if (text.startsWith('<!doctype html') || text.startsWith('<html')) return { name: 'HTML' };
  if (text.startsWith('{') || text.startsWith('[')) return { name: 'JSON or other text' };
  return { name: 'unrecognised data' };
}
