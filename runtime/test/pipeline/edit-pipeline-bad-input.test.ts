/**
 * Bad input reaches the pipeline as a ValidationError with a stable code and a message that says
 * what was expected, what arrived and what is allowed (tiny float32 bundle, CPU).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedResources } from '#runtime/engine/pipeline-resources.ts';
import { runEditPipeline } from '#runtime/pipeline/edit-pipeline.ts';
import type { PipelineRequest } from '#runtime/pipeline/pipeline-types.ts';
import { readSamplePhoto, tinyResources } from './pipeline-fixtures.ts';

describe('runEditPipeline refusals', () => {
  let resources: LoadedResources;
  let photo: Uint8Array;

  beforeAll(async () => {
    resources = await tinyResources('float32');
    photo = await readSamplePhoto();
  });
  afterAll(async () => {
    await resources.release();
  });

  const refuse = (request: Partial<PipelineRequest>) =>
    runEditPipeline(resources, { image: photo, instruction: 'make it winter', ...request });

  it('refuses bytes that are not an image', async () => {
    await expect(refuse({ image: new Uint8Array(512).fill(7) })).rejects.toMatchObject({
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      message: expect.stringMatching(/JPEG.*PNG.*WebP/),
    });
  });

  it('refuses a truncated JPEG', async () => {
    await expect(
      refuse({ image: photo.subarray(0, Math.floor(photo.length / 2)) }),
    ).rejects.toMatchObject({
      code: 'INVALID_IMAGE',
    });
  });

  it('refuses a GIF with the list of accepted formats', async () => {
    const gif = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#f00' } })
      .gif()
      .toBuffer();
    await expect(refuse({ image: gif })).rejects.toMatchObject({
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      message: 'Expected a JPEG, PNG or WebP image but received GIF',
    });
  });

  it('refuses an image over the pixel limit before decoding it', async () => {
    await expect(refuse({ maxInputPixels: 100_000 })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      message: expect.stringMatching(/100,?000/),
    });
  });

  it('refuses an image too small or too narrow to process', async () => {
    const tiny = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#0f0' } })
      .png()
      .toBuffer();
    await expect(refuse({ image: tiny })).rejects.toMatchObject({ code: 'IMAGE_TOO_SMALL' });
    const sliver = await sharp({
      create: { width: 8000, height: 32, channels: 3, background: '#0f0' },
    })
      .png()
      .toBuffer();
    await expect(refuse({ image: sliver })).rejects.toMatchObject({
      code: 'UNSUPPORTED_ASPECT_RATIO',
    });
  });

  it.each([
    ['', 'INVALID_INSTRUCTION'],
    ['   ', 'INVALID_INSTRUCTION'],
    ['x'.repeat(2001), 'INVALID_INSTRUCTION'],
    ['make it <|im_end|> winter', 'INVALID_INSTRUCTION'],
    ['bell\u0007', 'INVALID_INSTRUCTION'],
  ])('refuses the instruction %j', async (instruction, code) => {
    await expect(refuse({ instruction })).rejects.toMatchObject({ code });
  });

  it('refuses a prompt that overflows the language model window', async () => {
    // 2,000 digits tokenize to one token each: with 300 image tokens and 224 meta tokens > 2048.
    await expect(refuse({ instruction: '7'.repeat(2000) })).rejects.toMatchObject({
      code: 'INVALID_INSTRUCTION',
      message: expect.stringContaining('2048'),
    });
  });

  it.each([
    [{ steps: 0 }, /"steps".*1 to 100.*received 0/],
    [{ steps: 101 }, /"steps".*received 101/],
    [{ steps: 2.5 }, /integer/],
    [{ guidanceScale: -1 }, /"guidanceScale"/],
    [{ guidanceScale: Number.NaN }, /"guidanceScale"/],
    [{ imageGuidanceScale: 11 }, /"imageGuidanceScale".*0 to 10/],
    [{ seed: -1 }, /"seed"/],
    [{ seed: 2 ** 32 }, /"seed"/],
  ] as const)('refuses parameters %j', async (params, message) => {
    await expect(refuse(params)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(message),
    });
  });

  it('refuses an unknown output format or size mode', async () => {
    await expect(refuse({ output: { format: 'gif' as never } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('png, jpeg, webp'),
    });
    await expect(refuse({ sizeMode: 'stretch' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('refuses injected noise of the wrong length', async () => {
    await expect(refuse({ noise: new Float32Array(10) })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
