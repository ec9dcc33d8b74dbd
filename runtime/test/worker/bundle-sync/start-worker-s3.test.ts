/**
 * The worker in aws mode with VIBE_MODEL_S3_URI: the bundle comes from (fauxqs) S3 into the model
 * cache, the real EditEngine (CPU) loads it from there, and a job runs. The job flow itself uses
 * the local adapters. Tiny bundles test wiring: their output is not a real edit.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config/parse-config.ts';
import { startWorker } from '#runtime/worker/start-worker.ts';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';
import { type FauxqsEmulator, startFauxqs } from '../../../../core/test/helpers/fauxqs-emulator.ts';
import { createFlow, useTempRoot, waitFor } from '../worker-harness.ts';
import { uploadBundle } from './s3-bundle-fixture.ts';

const newDir = useTempRoot('start-worker-s3');

let emulator: FauxqsEmulator;
let bucket: string;

beforeAll(async () => {
  emulator = await startFauxqs();
  bucket = await emulator.createBucket();
  const tiny = await ensureTinyBundle({ precision: 'float32' });
  await uploadBundle(emulator.clients.s3, bucket, 'models/vibe/v7/', tiny);
});

afterAll(() => emulator?.close());

function awsConfig(cacheDir: string, version = 'v7') {
  return parseConfig({
    VIBE_MODE: 'aws',
    VIBE_BUCKET: bucket,
    VIBE_INTERACTIVE_QUEUE_URL: 'http://127.0.0.1:9/q/interactive',
    VIBE_BATCH_QUEUE_URL: 'http://127.0.0.1:9/q/batch',
    VIBE_EVENTS_QUEUE_URL: 'http://127.0.0.1:9/q/events',
    VIBE_LANES: 'interactive',
    VIBE_MODEL_S3_URI: `s3://${bucket}/models/vibe/${version}/`,
    VIBE_MODEL_CACHE_DIR: cacheDir,
  });
}

describe('startWorker with VIBE_MODEL_S3_URI', () => {
  it('downloads the bundle into the cache, runs a job on it, and reuses the cache on restart', async () => {
    const cacheDir = newDir();
    const flow = createFlow(newDir());
    const lines: string[] = [];
    const start = () =>
      startWorker({
        config: awsConfig(cacheDir),
        ports: flow,
        s3: emulator.clients.s3,
        emitMetricLine: (line) => lines.push(line),
        announce: () => {},
      });

    const first = await start();
    try {
      const { job } = await flow.submit();
      await waitFor(async () => (await flow.record(job.id)).status === 'succeeded', 30_000);
      await waitFor(() => lines.length === 1);
    } finally {
      await first.close({ deadlineMs: 1_000 });
    }
    const second = await start();
    await second.close({ deadlineMs: 1_000 });

    expect(first.bundleDir).toBe(join(cacheDir, 'v7'));
    expect(first.model).toMatchObject({ name: 'vibe-tiny-test', synthetic: true });
    expect(first.bundleSync).toMatchObject({ downloadedFiles: 12, waitedForLock: false });
    expect(second.bundleSync).toMatchObject({ downloadedFiles: 0, hashedFiles: 0 });
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ Lane: 'interactive', JobsSucceeded: 1 });
  });

  it('stops with CanceledError when its signal aborts during the download', async () => {
    const abort = new AbortController();
    abort.abort(new Error('SIGTERM'));

    await expect(
      startWorker({
        config: awsConfig(newDir()),
        ports: createFlow(newDir()),
        s3: emulator.clients.s3,
        signal: abort.signal,
      }),
    ).rejects.toMatchObject({ code: 'CANCELED' });
  });

  it('refuses to start, naming the file, when the bundle in S3 is incomplete', async () => {
    await expect(
      startWorker({
        config: awsConfig(newDir(), 'v-absent'),
        ports: createFlow(newDir()),
        s3: emulator.clients.s3,
      }),
    ).rejects.toMatchObject({
      name: 'BundleError',
      code: 'BUNDLE_MISSING',
      details: { file: 'manifest.json' },
    });
  });
});
