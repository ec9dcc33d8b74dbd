import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeInput } from '#runtime/pipeline/image/decode-input.ts';
import {
  animatedWebp,
  cmykJpeg,
  gifImage,
  greyPng,
  jpegOrientation6,
  png16,
  pngBombHeader,
  randomBytes,
  rgbaPngWithTransparency,
  tiffImage,
  truncatedJpeg,
} from '../../fixtures/images/sample-images.ts';

const LIMIT = { maxInputPixels: 50_000_000, autoOrient: true };

function pixel(rgb: Uint8Array, width: number, x: number, y: number): number[] {
  const o = (y * width + x) * 3;
  return [rgb[o] as number, rgb[o + 1] as number, rgb[o + 2] as number];
}

describe('decodeInput', () => {
  it('applies EXIF orientation 6 when autoOrient is true (aligned mode)', async () => {
    const decoded = await decodeInput(await jpegOrientation6(), LIMIT);
    expect(decoded).toMatchObject({ width: 20, height: 40, format: 'jpeg', orientation: 6 });
    expect(decoded.rgb.length).toBe(20 * 40 * 3);
  });

  it('keeps the stored orientation when autoOrient is false (parity mode, quirk 7)', async () => {
    const decoded = await decodeInput(await jpegOrientation6(), { ...LIMIT, autoOrient: false });
    expect(decoded).toMatchObject({ width: 40, height: 20, orientation: 6 });
  });

  it('composites alpha over white', async () => {
    const decoded = await decodeInput(await rgbaPngWithTransparency(), LIMIT);
    expect(decoded).toMatchObject({ width: 4, height: 2, format: 'png', hadAlpha: true });
    expect(pixel(decoded.rgb, 4, 0, 0)).toEqual([255, 255, 255]);
    expect(pixel(decoded.rgb, 4, 3, 1)).toEqual([255, 127, 127]);
  });

  it('replicates greyscale to three equal channels', async () => {
    const decoded = await decodeInput(await greyPng(), LIMIT);
    expect(decoded.sourceSpace).toBe('b-w');
    expect([...decoded.rgb]).toEqual([
      0, 0, 0, 90, 90, 90, 255, 255, 255, 10, 10, 10, 128, 128, 128, 200, 200, 200,
    ]);
  });

  it('converts CMYK to sRGB', async () => {
    const decoded = await decodeInput(await cmykJpeg(), LIMIT);
    expect(decoded.sourceSpace).toBe('cmyk');
    expect(decoded.rgb.length).toBe(8 * 4 * 3);
    // sRGB (230, 120, 30) → CMYK → sRGB through libvips 8.18's built-in CMYK profile gives
    // (231, 119, 1): the blue is outside that profile's gamut. Pinned within ±3 levels.
    const [r, g, b] = pixel(decoded.rgb, decoded.width, 3, 2) as [number, number, number];
    expect(Math.abs(r - 231)).toBeLessThanOrEqual(3);
    expect(Math.abs(g - 119)).toBeLessThanOrEqual(3);
    expect(b).toBeLessThanOrEqual(4);
  });

  it('reduces 16-bit samples to 8-bit', async () => {
    const decoded = await decodeInput(await png16(), LIMIT);
    expect(decoded.sourceSpace).toBe('rgb16');
    expect(pixel(decoded.rgb, 8, 7, 3)).toEqual([100, 150, 200]);
  });

  it('uses the first frame of an animated WebP', async () => {
    const decoded = await decodeInput(await animatedWebp(), LIMIT);
    expect(decoded).toMatchObject({ width: 6, height: 4, format: 'webp' });
    expect(pixel(decoded.rgb, 6, 5, 3)).toEqual([0, 0, 255]);
  });

  it('accepts a lossy WebP', async () => {
    const webp = await sharp({
      create: { width: 33, height: 35, channels: 3, background: { r: 10, g: 200, b: 90 } },
    })
      .webp({ quality: 90 })
      .toBuffer();
    const decoded = await decodeInput(webp, LIMIT);
    expect(decoded).toMatchObject({ width: 33, height: 35, format: 'webp', hadAlpha: false });
  });

  it('rejects random bytes as an unsupported format', async () => {
    await expect(decodeInput(randomBytes(), LIMIT)).rejects.toMatchObject({
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      details: { received: 'unrecognised data', allowed: ['jpeg', 'png', 'webp'] },
    });
  });

  it('rejects GIF and TIFF by their signatures', async () => {
    await expect(decodeInput(await gifImage(), LIMIT)).rejects.toMatchObject({
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      details: { received: 'GIF' },
    });
    await expect(decodeInput(await tiffImage(), LIMIT)).rejects.toMatchObject({
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      details: { received: 'TIFF' },
    });
  });

  it('rejects a truncated JPEG as invalid', async () => {
    await expect(decodeInput(await truncatedJpeg(), LIMIT)).rejects.toMatchObject({
      code: 'INVALID_IMAGE',
      retryable: false,
    });
  });

  it('rejects an empty body as invalid', async () => {
    await expect(decodeInput(new Uint8Array(0), LIMIT)).rejects.toMatchObject({
      code: 'INVALID_IMAGE',
    });
  });

  it('rejects a PNG whose header declares more pixels than the limit, without decoding it', async () => {
    // The IDAT holds 64 bytes for 400 M declared pixels: only the header check can say TOO_LARGE.
    await expect(decodeInput(pngBombHeader(20_000, 20_000), LIMIT)).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      details: { width: 20_000, height: 20_000, maxInputPixels: 50_000_000 },
    });
  });

  it('applies the configured pixel limit to real images', async () => {
    const png = await sharp({
      create: { width: 100, height: 60, channels: 3, background: 'white' },
    })
      .png()
      .toBuffer();
    await expect(
      decodeInput(png, { maxInputPixels: 5999, autoOrient: true }),
    ).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
    });
    await expect(
      decodeInput(png, { maxInputPixels: 6000, autoOrient: true }),
    ).resolves.toMatchObject({
      width: 100,
      height: 60,
    });
  });

  it('rejects a non-positive pixel limit', async () => {
    await expect(
      decodeInput(await greyPng(), { maxInputPixels: 0, autoOrient: true }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
