import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readParityTrace } from '#runtime/parity/trace-reader.ts';
import {
  TINY_INPUT_IDS,
  TINY_OUTPUT_PIXELS,
  tinyFloatValues,
  writeTinyTrace,
} from './tiny-trace.ts';

describe('readParityTrace', () => {
  let bundle: string;

  beforeEach(async () => {
    bundle = await mkdtemp(join(tmpdir(), 'vibe-parity-'));
  });

  afterEach(async () => {
    await rm(bundle, { recursive: true, force: true });
  });

  it('reads a valid trace and loads each tensor lazily with its dtype', async () => {
    await writeTinyTrace(bundle);

    const trace = await readParityTrace(bundle, 'parity/trace.json');

    expect(trace.request).toMatchObject({
      instruction: 'make it winter',
      steps: 20,
      sizeMode: 'parity',
    });
    expect(trace.request.imagePath).toBe(join(bundle, 'parity/input.png'));
    expect(trace.reference.dtype).toBe('bfloat16');
    expect([...trace.tensors.keys()]).toContain('hid_null');
    const ids = await trace.stage('input_ids').load();
    expect(ids.dtype).toBe('int32');
    expect(ids.data).toEqual(TINY_INPUT_IDS);
    const cond = await trace.stage('cond').load();
    expect(cond).toMatchObject({ dtype: 'float32', dims: [2, 3] });
    expect(cond.data).toEqual(tinyFloatValues());
    const image = await trace.stage('output_image').load();
    expect(image).toMatchObject({ dtype: 'uint8', dims: [2, 3, 3] });
    expect(image.data).toEqual(TINY_OUTPUT_PIXELS);
  });

  it('accepts an absolute trace path', async () => {
    await writeTinyTrace(bundle);
    const trace = await readParityTrace(bundle, join(bundle, 'parity/trace.json'));
    expect(trace.tracePath).toBe(join(bundle, 'parity/trace.json'));
  });

  it('reports a missing trace as BUNDLE_MISSING', async () => {
    await expect(readParityTrace(bundle, 'parity/trace.json')).rejects.toMatchObject({
      code: 'BUNDLE_MISSING',
      message: expect.stringMatching(/Expected the parity trace at .*parity\/trace\.json/),
    });
  });

  it('refuses a trace path that leaves the bundle', async () => {
    await expect(readParityTrace(bundle, '../trace.json')).rejects.toMatchObject({
      code: 'BUNDLE_INVALID',
      message: expect.stringContaining('parityTrace to be a relative path inside the bundle'),
    });
  });

  it('refuses text that is not JSON', async () => {
    await writeTinyTrace(bundle);
    await writeFile(join(bundle, 'parity/trace.json'), '{"traceVersion": 1,');
    await expect(readParityTrace(bundle, 'parity/trace.json')).rejects.toMatchObject({
      code: 'BUNDLE_INVALID',
      message: expect.stringContaining('Expected JSON in'),
    });
  });

  it('lists schema problems with their paths', async () => {
    await writeTinyTrace(bundle, (document) => {
      document.traceVersion = 2;
      document.request.steps = 0;
      document.request.sizeMode = 'zoomed';
      document.tensors.cond = { file: 'parity/cond.f32', dtype: 'float64', dims: [2, 3] };
    });
    const error = await readParityTrace(bundle, 'parity/trace.json').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BUNDLE_INVALID' });
    const message = (error as Error).message;
    expect(message).toContain('traceVersion:');
    expect(message).toContain('request.steps:');
    expect(message).toContain('request.sizeMode:');
    expect(message).toContain('tensors.cond.dtype:');
  });

  it('lists missing stages, wrong dtypes, wrong extensions, bad image dims and unsafe paths at once', async () => {
    await writeTinyTrace(bundle, (document) => {
      delete document.tensors.meta_hidden;
      document.tensors.input_ids = { file: 'parity/input_ids.f32', dtype: 'float32', dims: [5] };
      document.tensors.decoded = { file: 'parity/decoded.bin', dtype: 'float32', dims: [2, 3] };
      document.tensors.output_image = {
        file: 'parity/output.png',
        dtype: 'uint8',
        dims: [2, 3, 4],
      };
      document.tensors.cond = { file: '../cond.f32', dtype: 'float32', dims: [2, 3] };
    });
    const error = await readParityTrace(bundle, 'parity/trace.json').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BUNDLE_INVALID' });
    const message = (error as Error).message;
    for (const fragment of [
      'tensors.meta_hidden: missing',
      'tensors.input_ids.dtype: expected int32 but found float32',
      'tensors.decoded.file: expected a .f32 file but found parity/decoded.bin',
      'tensors.output_image.dims: expected [height, width, 3] but found [2,3,4]',
      'tensors.cond.file to be a relative path inside the bundle',
    ]) {
      expect(message).toContain(fragment);
    }
  });

  it('refuses a raw file whose size does not match its dims', async () => {
    await writeTinyTrace(bundle, (document) => {
      document.tensors.image_latent = {
        file: 'parity/image_latent.f32',
        dtype: 'float32',
        dims: [2, 4],
      };
    });
    await expect(readParityTrace(bundle, 'parity/trace.json')).rejects.toMatchObject({
      code: 'BUNDLE_INVALID',
      message: expect.stringContaining(
        'parity/image_latent.f32 holds 24 bytes but dims [2,4] need 32',
      ),
    });
  });

  it('reports tensor files that are absent as BUNDLE_MISSING', async () => {
    await writeTinyTrace(bundle);
    await unlink(join(bundle, 'parity/deepstack.f32'));
    await unlink(join(bundle, 'parity/input.png'));
    await expect(readParityTrace(bundle, 'parity/trace.json')).rejects.toMatchObject({
      code: 'BUNDLE_MISSING',
      message: expect.stringContaining(
        'parity/deepstack.f32 (deepstack), parity/input.png (request.image)',
      ),
    });
  });

  it('refuses, on load, an output PNG whose size differs from its dims', async () => {
    await writeTinyTrace(bundle);
    const rgba = await sharp(Buffer.alloc(2 * 3 * 4), { raw: { width: 3, height: 2, channels: 4 } })
      .png()
      .toBuffer();
    await writeFile(join(bundle, 'parity/output.png'), rgba);
    const trace = await readParityTrace(bundle, 'parity/trace.json');
    await expect(trace.stage('output_image').load()).rejects.toMatchObject({
      code: 'BUNDLE_INVALID',
      message: expect.stringContaining('8-bit RGB image of 3x2 but it is 3x2 with 4 channels'),
    });
  });
});
