/** The input formats the service accepts. */
export const ACCEPTED_IMAGE_FORMATS = ['jpeg', 'png', 'webp'] as const;
export type AcceptedImageFormat = (typeof ACCEPTED_IMAGE_FORMATS)[number];

/** What the leading bytes say the data is. */
export type SniffedFormat =
  | { readonly accepted: true; readonly format: AcceptedImageFormat }
  | { readonly accepted: false; readonly name: string };

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((value, i) => bytes[offset + i] === value);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

const ISO_BMFF_BRANDS: Readonly<Record<string, string>> = {
  heic: 'HEIC',
  heix: 'HEIC',
  hevc: 'HEIC',
  mif1: 'HEIF',
  msf1: 'HEIF',
  avif: 'AVIF',
  avis: 'AVIF',
};

/**
 * Identifies image data by its signature, never by a client's content type, so a renamed file or a
 * wrong header cannot route unsupported data into a decoder. Unaccepted formats get a name for the
 * error message ("GIF", "TIFF", …); data matching no known signature is "unrecognised data".
 */
export function sniffFormat(bytes: Uint8Array): SniffedFormat {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { accepted: true, format: 'jpeg' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    return { accepted: true, format: 'png' };
  }
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') {
    return { accepted: true, format: 'webp' };
  }
  const rejected = nameUnaccepted(bytes);
  return { accepted: false, name: rejected };
}

function nameUnaccepted(bytes: Uint8Array): string {
  const head = ascii(bytes, 0, 6);
  if (head === 'GIF87a' || head === 'GIF89a') return 'GIF';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) {
    return 'TIFF';
  }
  if (head.startsWith('BM')) return 'BMP';
  if (ascii(bytes, 4, 8) === 'ftyp') {
    const brand = ascii(bytes, 8, 12);
    return ISO_BMFF_BRANDS[brand] ?? `ISO media (brand "${brand.replace(/[^\x20-\x7e]/g, '?')}")`;
  }
  if (
    startsWith(bytes, [0xff, 0x0a]) ||
    startsWith(bytes, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20])
  ) {
    return 'JPEG XL';
  }
  if (startsWith(bytes, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return 'JPEG 2000';
  if (head.startsWith('%PDF')) return 'PDF';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'ICO';
  const text = ascii(bytes, 0, Math.min(bytes.length, 256)).trimStart().toLowerCase();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'SVG';
  return 'unrecognised data';
}
