import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** Tiny generated test images (a few hundred bytes each), cached per size and format. */
const cache = new Map<string, Promise<Uint8Array>>();

function create(width: number, height: number) {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 40 } } });
}

function cached(key: string, make: () => Promise<Buffer>): Promise<Uint8Array> {
  let image = cache.get(key);
  if (image === undefined) {
    image = make().then((buffer) => new Uint8Array(buffer));
    cache.set(key, image);
  }
  return image;
}

export function pngImage(width = 64, height = 48): Promise<Uint8Array> {
  return cached(`png-${width}x${height}`, () => create(width, height).png().toBuffer());
}

/** A JPEG; with `orientation` 5–8 the stored size is rotated by the EXIF tag. */
export function jpegImage(width = 64, height = 48, orientation = 1): Promise<Uint8Array> {
  return cached(`jpeg-${width}x${height}-${orientation}`, () =>
    create(width, height).jpeg().withMetadata({ orientation }).toBuffer(),
  );
}

export function webpImage(width = 64, height = 48): Promise<Uint8Array> {
  return cached(`webp-${width}x${height}`, () => create(width, height).webp().toBuffer());
}

export function gifImage(width = 64, height = 48): Promise<Uint8Array> {
  return cached(`gif-${width}x${height}`, () => create(width, height).gif().toBuffer());
}

function chunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/**
 * A decompression bomb's header: a valid PNG that claims `width × height` greyscale pixels in a
 * few dozen bytes. Reading its header is cheap; decoding it would not be.
 */
export function pngBombHeader(width: number, height: number): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(
    Buffer.concat([
      signature,
      chunk('IHDR', header),
      chunk('IDAT', deflateSync(Buffer.alloc(64))),
      chunk('IEND', new Uint8Array()),
    ]),
  );
}

export function toDataUri(bytes: Uint8Array, mime = 'image/png'): string {
  return `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`;
}
