/**
 * The engine runs the pipeline in a worker thread on a tiny bundle (CPU). Tiny bundles test wiring,
 * not image quality: their output is not a real edit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BundleError,
  CanceledError,
  ExecutionProviderError,
  InferenceError,
} from '#core/errors.ts';
import { EditEngine } from '#runtime/engine/edit-engine.ts';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';
import { readSamplePhoto } from '../pipeline/pipeline-fixtures.ts';

describe('EditEngine', () => {
  let engine: EditEngine;
  let photo: Uint8Array;

  beforeAll(async () => {
    engine = new EditEngine({
      bundleDir: await ensureTinyBundle({ precision: 'float32' }),
      provider: { name: 'cpu' },
      intraOpThreads: 1,
    });
    photo = await readSamplePhoto();
  });
  afterAll(async () => {
    await engine.close();
  });

  it('starts once, reports the model, and edits in the inference thread with progress', async () => {
    const model = await engine.start();
    expect(model).toMatchObject({ name: 'vibe-tiny-test', synthetic: true, precision: 'float32' });
    expect(model.notice).toMatch(/not a real edit/i);

    const progress: number[] = [];
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 1);
    const result = await engine.edit(
      { image: photo, instruction: 'make it winter', steps: 6 },
      { onProgress: (p) => progress.push(p.step) },
    );
    clearInterval(timer);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await sharp(result.image).metadata()).width).toBe(640);
    // The caller's event loop kept turning while the job ran in the other thread.
    expect(ticks).toBeGreaterThan(5);
  });

  it('revives errors from the thread with their class and stable code', async () => {
    const failure = engine.edit({
      image: new Uint8Array([1, 2, 3]),
      instruction: 'make it winter',
    });
    await expect(failure).rejects.toMatchObject({
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      retryable: false,
    });
    await expect(engine.edit({ image: photo, instruction: '' })).rejects.toMatchObject({
      name: 'ValidationError',
      code: 'INVALID_INSTRUCTION',
    });
  });

  it('cancels a running job at its next step through an AbortSignal', async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    const run = engine.edit(
      { image: photo, instruction: 'make it winter', steps: 50 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          steps.push(p.step);
          if (p.step === 2) controller.abort();
        },
      },
    );
    await expect(run).rejects.toBeInstanceOf(CanceledError);
    expect(steps.length).toBeLessThan(50);
    // The thread is still healthy after a cancel.
    await expect(
      engine.edit({ image: photo, instruction: 'again', steps: 1 }),
    ).resolves.toMatchObject({
      steps: 1,
    });
  });

  it('fails the job in flight with a retryable error when the thread dies, then recovers', async () => {
    const run = engine.edit(
      { image: photo, instruction: 'make it winter', steps: 50 },
      {
        onProgress: (p) => {
          if (p.step === 1) engine.crashForTest();
        },
      },
    );
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InferenceError);
    expect(error).toMatchObject({ retryable: true });
    expect(engine.restarts).toBe(1);
    await expect(
      engine.edit({ image: photo, instruction: 'after the crash', steps: 2 }),
    ).resolves.toMatchObject({
      steps: 2,
    });
  });
});

describe('EditEngine start-up refusals', () => {
  it('refuses a missing bundle with BUNDLE_MISSING and how to get one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vibe-empty-'));
    const engine = new EditEngine({ bundleDir: join(dir, 'nope'), provider: { name: 'cpu' } });
    try {
      const error = await engine.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BundleError);
      expect(error).toMatchObject({
        code: 'BUNDLE_MISSING',
        message: expect.stringContaining('tiny-bundle'),
      });
    } finally {
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses CUDA without its provider libraries, naming what to install, never falling back', async () => {
    const engine = new EditEngine({
      bundleDir: await ensureTinyBundle({ precision: 'float32' }),
      provider: { name: 'cuda' },
    });
    try {
      const error = await engine.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ExecutionProviderError);
      expect((error as Error).message).toMatch(
        /libonnxruntime_providers_cuda\.so.*ONNXRUNTIME_NODE_INSTALL=cuda12.*cuDNN 9/s,
      );
    } finally {
      await engine.close();
    }
  });
});
