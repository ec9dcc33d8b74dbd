import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inspectImage, sniffImageFormat } from '#functions/api/image-inspection.ts';
import { gifImage, jpegImage, pngBombHeader, pngImage, webpImage } from '../helpers/images.ts';

const limits = { maxBytes: 1024 ** 2, maxInputPixels: 50_000_000 };

describe('inspectImage', () => {
  it.each([
    ['png', pngImage],
    ['jpeg', jpegImage],
    ['webp', webpImage],
  ] as const)('accepts %s and reports its size and checksum', async (format, make) => {
    const bytes = await make(64, 48);

    const inspected = await inspectImage(bytes, limits, { autoOrient: true });

    expect(inspected).toEqual({
      format,
      width: 64,
      height: 48,
      bytes: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });

  it('checks the pixel limit from the header of a 400-megapixel bomb without decoding it', async () => {
    const started = performance.now();

    const result = inspectImage(pngBombHeader(20_000, 20_000), limits, { autoOrient: true });

    await expect(result).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      details: { width: 20_000, height: 20_000, pixels: 400_000_000, maxInputPixels: 50_000_000 },
    });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses bytes above the byte limit before reading them', async () => {
    await expect(
      inspectImage(await pngImage(), { ...limits, maxBytes: 10 }, { autoOrient: true }),
    ).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE', details: { maxBytes: 10 } });
  });

  it('passes exactly 200:1 and 32 px, and refuses 31 px and beyond 200:1', async () => {
    await expect(
      inspectImage(pngBombHeader(6400, 32), limits, { autoOrient: true }),
    ).resolves.toMatchObject({
      width: 6400,
      height: 32,
    });
    await expect(
      inspectImage(pngBombHeader(31, 40), limits, { autoOrient: true }),
    ).rejects.toMatchObject({
      code: 'IMAGE_TOO_SMALL',
    });
    await expect(
      inspectImage(pngBombHeader(32, 6401), limits, { autoOrient: true }),
    ).rejects.toMatchObject({
      code: 'UNSUPPORTED_ASPECT_RATIO',
    });
  });

  it('applies the EXIF orientation only when asked', async () => {
    const rotated = await jpegImage(80, 40, 6);

    const aligned = await inspectImage(rotated, limits, { autoOrient: true });
    const parity = await inspectImage(rotated, limits, { autoOrient: false });

    expect([aligned.width, aligned.height]).toEqual([40, 80]);
    expect([parity.width, parity.height]).toEqual([80, 40]);
  });
});

describe('sniffImageFormat', () => {
  it('names what arrived from the leading bytes', async () => {
    const text = (value: string) => new TextEncoder().encode(value);

    expect(sniffImageFormat(await gifImage())).toEqual({ name: 'GIF' });
    expect(sniffImageFormat(text('<!doctype html><title>x</title>'))).toEqual({ name: 'HTML' });
    expect(sniffImageFormat(text('<?xml version="1.0"?><svg/>'))).toEqual({ name: 'SVG' });
    expect(sniffImageFormat(text('%PDF-1.7'))).toEqual({ name: 'PDF' });
    expect(sniffImageFormat(new Uint8Array([0, 0, 0, 0x1c, ...text('ftypheic')]))).toEqual({
      name: 'HEIC/HEIF',
    });
    expect(sniffImageFormat(new Uint8Array([1, 2, 3]))).toEqual({ name: 'unrecognised data' });
  });
});
