import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeOutput } from '#runtime/pipeline/image/encode-output.ts';
import { coordinateRgb } from '../../fixtures/images/sample-images.ts';

describe('encodeOutput', () => {
  const rgb = coordinateRgb(37, 21);

  it('writes a lossless PNG that decodes to the same pixels', async () => {
    const png = await encodeOutput(rgb, 37, 21, { format: 'png' });
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ width: 37, height: 21, channels: 3 });
    expect(Buffer.from(data).equals(Buffer.from(rgb))).toBe(true);
  });

  it('writes JPEG and WebP with the default quality 90, smaller than quality 100', async () => {
    const jpeg = await encodeOutput(rgb, 37, 21, { format: 'jpeg' });
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect((await sharp(jpeg).metadata()).width).toBe(37);
    const jpeg100 = await encodeOutput(rgb, 37, 21, { format: 'jpeg', quality: 100 });
    expect(jpeg100.length).toBeGreaterThan(jpeg.length);
    const webp = await encodeOutput(rgb, 37, 21, { format: 'webp', quality: 50 });
    expect(Buffer.from(webp.subarray(8, 12)).toString('latin1')).toBe('WEBP');
  });

  it.each([0, 101, 50.5, Number.NaN])('rejects quality %s', async (quality) => {
    await expect(encodeOutput(rgb, 37, 21, { format: 'jpeg', quality })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'quality' },
    });
  });

  it('rejects a pixel buffer that does not match the size', async () => {
    await expect(encodeOutput(rgb, 36, 21, { format: 'png' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
