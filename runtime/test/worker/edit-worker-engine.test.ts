/**
 * The worker on the real EditEngine (inference thread, onnxruntime-node on CPU) with the tiny test
 * bundle. Tiny bundles test wiring, not image quality: their output is not a real edit.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config/parse-config.ts';
import { EditEngine } from '#runtime/engine/edit-engine.ts';
import type { PipelineRequest } from '#runtime/pipeline/pipeline-types.ts';
import { EditWorker } from '#runtime/worker/edit-worker.ts';
import type { Engine, EngineCallOptions } from '#runtime/worker/engine.ts';
import type { LeaseResult } from '#runtime/worker/process-lease.ts';
import { createServicePorts } from '#runtime/worker/service-ports.ts';
import { startWorker } from '#runtime/worker/start-worker.ts';
import { workerSettings } from '#runtime/worker/worker-settings.ts';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';
import {
  createFlow,
  type Flow,
  samplePng,
  submitJob,
  useTempRoot,
  waitFor,
} from './worker-harness.ts';

const newDir = useTempRoot('worker-engine');

describe('startWorker in local mode without VIBE_BUNDLE_DIR', () => {
  it('runs jobs on the tiny test bundle, says so loudly, and marks every job synthetic', async () => {
    const dataDir = newDir();
    const config = parseConfig({ VIBE_DATA_DIR: dataDir, VIBE_LANES: 'interactive' });
    const ports = createServicePorts(config);
    const announced: string[] = [];
    const results: LeaseResult[] = [];
    const running = await startWorker({
      config,
      announce: (text) => announced.push(text),
      onResult: (result) => results.push(result),
    });
    try {
      // Submitted through a second set of ports on the folder, as the local server would.
      const { job } = await submitJob(ports);

      await waitFor(() => results.length === 1, 20_000);

      const record = await ports.store.get(job.id);
      expect(running.model).toMatchObject({ name: 'vibe-tiny-test', synthetic: true });
      expect(announced.join('')).toMatch(/TINY TEST BUNDLE.*NOT a real edit/s);
      expect(record).toMatchObject({
        status: 'succeeded',
        model: { name: 'vibe-tiny-test', synthetic: true },
        output: { key: `outputs/${job.id}.png`, width: 48, height: 40, format: 'png' },
      });
      const output = await ports.blobs.get(`outputs/${job.id}.png`);
      expect(await sharp(output.body).metadata()).toMatchObject({
        format: 'png',
        width: 48,
        height: 40,
      });
    } finally {
      await running.close({ deadlineMs: 1_000 });
    }
  });

  it('refuses to start in aws mode without a bundle, naming the variable', async () => {
    const config = parseConfig({
      VIBE_MODE: 'aws',
      VIBE_BUCKET: 'vibe-test-bucket',
      VIBE_INTERACTIVE_QUEUE_URL: 'http://127.0.0.1:9/q/interactive',
      VIBE_BATCH_QUEUE_URL: 'http://127.0.0.1:9/q/batch',
      VIBE_EVENTS_QUEUE_URL: 'http://127.0.0.1:9/q/events',
    });

    await expect(startWorker({ config })).rejects.toMatchObject({
      code: 'BUNDLE_MISSING',
      message: expect.stringContaining('VIBE_BUNDLE_DIR'),
    });
  });

  it('refuses to start with the engine error when the bundle folder is missing', async () => {
    const config = parseConfig({ VIBE_DATA_DIR: newDir(), VIBE_BUNDLE_DIR: newDir() });

    await expect(startWorker({ config })).rejects.toMatchObject({
      name: 'BundleError',
      code: 'BUNDLE_MISSING',
    });
  });
});

/**
 * The real engine, which makes its inference thread die once, while the first job is in its (JavaScript)
 * postprocessing: terminating the thread inside a native ORT call would abort the whole process
 * (onnxruntime-node), which is not what this test is about.
 */
class CrashOnceEngine implements Engine {
  crashed = false;
  constructor(readonly inner: EditEngine) {}
  start() {
    return this.inner.start();
  }
  edit(request: PipelineRequest, options: EngineCallOptions) {
    return this.inner.edit(request, {
      ...options,
      onProgress: (event) => {
        options.onProgress?.(event);
        if (!this.crashed && event.step === event.steps) {
          this.crashed = true;
          setTimeout(() => this.inner.crashForTest(), 35);
        }
      },
    });
  }
  /** The test closes the shared engine itself. */
  async close() {}
}

describe('EditWorker on the real EditEngine', () => {
  let engine: EditEngine;

  beforeAll(async () => {
    engine = new EditEngine({
      bundleDir: await ensureTinyBundle({ precision: 'float32' }),
      provider: { name: 'cpu' },
      intraOpThreads: 1,
    });
    await engine.start();
  });
  afterAll(async () => {
    await engine.close();
  });

  function worker(flow: Flow, inner: Engine) {
    const results: LeaseResult[] = [];
    const edit = new EditWorker({
      engine: inner,
      lanes: [{ lane: 'interactive', queue: flow.queues.interactive }],
      store: flow.store,
      blobs: flow.blobs,
      events: flow.events,
      settings: workerSettings({
        leaseSeconds: 30,
        maxAttempts: 3,
        backoffSeconds: () => 0,
        idleWaitSeconds: 1,
      }),
      onResult: (result) => results.push(result),
    });
    return { edit, results };
  }

  it('fails a corrupt image at once with INVALID_IMAGE and does not retry it', async () => {
    const flow = createFlow(newDir());
    const png = await samplePng(300, 300);
    const { job } = await flow.submit({}, png.subarray(0, png.length - 20));
    const { edit, results } = worker(flow, { ...shared(engine), close: async () => {} });
    await edit.start();

    await waitFor(() => results.length === 1, 10_000);
    await edit.close({ deadlineMs: 0 });

    expect(results.map((r) => r.outcome)).toEqual(['failed']);
    expect(await flow.record(job.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'INVALID_IMAGE' },
    });
    expect(await flow.queues.interactive.depth()).toEqual({ visible: 0, hidden: 0 });
  });

  it('retries a job whose inference thread died; it succeeds on the replacement thread', async () => {
    const flow = createFlow(newDir());
    const parity = {
      parameters: {
        steps: 3,
        guidanceScale: 4.5,
        imageGuidanceScale: 1.2,
        seed: 5,
        sizeMode: 'parity' as const,
        output: { format: 'png' as const },
      },
    };
    const { job } = await flow.submit(parity, await samplePng(1200, 1200));
    const restartsBefore = engine.restarts;
    const crashing = new CrashOnceEngine(engine);
    const { edit, results } = worker(flow, crashing);
    await edit.start();

    await waitFor(() => results.some((r) => r.outcome === 'succeeded'), 30_000);
    await edit.close({ deadlineMs: 0 });

    expect(crashing.crashed).toBe(true);
    expect(engine.restarts).toBe(restartsBefore + 1);
    expect(results.map((r) => [r.outcome, r.error?.code])).toEqual([
      ['retried', 'INFERENCE_FAILED'],
      ['succeeded', undefined],
    ]);
    expect(await flow.record(job.id)).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      output: { width: 1200, height: 1200 },
    });
    expect(await flow.outputs()).toEqual([`outputs/${job.id}.png`]);
  });
});

/** The shared engine's start and edit, as a plain Engine. */
function shared(engine: EditEngine): Omit<Engine, 'close'> {
  return {
    start: () => engine.start(),
    edit: (request, options) => engine.edit(request, options),
  };
}
