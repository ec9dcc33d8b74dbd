import { resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createAwsClients } from '#core/aws/aws-clients.ts';
import { ENV } from '#core/config/env-names.ts';
import type { AppConfig } from '#core/config/parse-config.ts';
import { BundleError } from '#core/errors.ts';
import type { Lane } from '#core/jobs/job-record.ts';
import { syntheticBanner } from '#runtime/cli/report-timings.ts';
import { EditEngine } from '#runtime/engine/edit-engine.ts';
import { batchTrackerFor, withBatchProgress } from './batch-progress.ts';
import { type BundleSyncResult, syncBundle } from './bundle-sync/sync-bundle.ts';
import { type CloseOptions, EditWorker } from './edit-worker.ts';
import type { Engine, ModelInfo } from './engine.ts';
import { emitJobMetrics, withJobMetrics } from './job-metrics.ts';
import type { LeaseResult } from './process-lease.ts';
import { createServicePorts, type ServicePorts } from './service-ports.ts';
import { silentLog, type WorkerLog } from './worker-log.ts';
import { type WorkerSettings, workerSettings } from './worker-settings.ts';

export interface StartWorkerOptions {
  readonly config: AppConfig;
  readonly log?: WorkerLog;
  /** Where the loud tiny-bundle notice goes. @default stderr */
  readonly announce?: (text: string) => void;
  /** Ports to share (the local root passes its API's); built from `config` when absent. */
  readonly ports?: ServicePorts;
  /** An engine to use instead of an EditEngine on the configured bundle (tests). */
  readonly engine?: Engine;
  /** Overrides of the loop's settings (tests: short backoff, short drain). */
  readonly settings?: Partial<WorkerSettings>;
  readonly onResult?: (result: LeaseResult) => void;
  /** Aborting stops a bundle download in progress (the start then rejects with CanceledError). */
  readonly signal?: AbortSignal;
  /** The S3 client for the bundle download. @default one built from the aws storage config */
  readonly s3?: S3Client;
  /**
   * Where each finished job's CloudWatch EMF metric line (JSON and a newline) goes (job-metrics.ts).
   * @default stdout in aws mode; nowhere in local mode
   */
  readonly emitMetricLine?: (line: string) => void;
}

export interface RunningWorker {
  readonly worker: EditWorker;
  readonly model: ModelInfo;
  /** The bundle the engine loaded; undefined when `options.engine` was given. */
  readonly bundleDir: string | undefined;
  /** What the bundle download did, when the bundle came from VIBE_MODEL_S3_URI. */
  readonly bundleSync: BundleSyncResult | undefined;
  /** Drains (within `deadlineMs`, default the configured grace) and stops. Memoized. */
  close(options?: CloseOptions): Promise<void>;
}

/**
 * The worker's composition: ports for the configured mode, an EditEngine on the configured bundle
 * (in aws mode with VIBE_MODEL_S3_URI: downloaded and verified into VIBE_MODEL_CACHE_DIR first; in
 * local mode without VIBE_BUNDLE_DIR: the tiny test bundle, announced loudly), and an EditWorker
 * polling the configured lanes, whose finished jobs emit CloudWatch EMF metric lines. Resolves
 * once the engine has started and the loop runs. Used by `main.ts`, the local-mode root and
 * end-to-end tests.
 * @throws BundleError or ExecutionProviderError when the engine cannot start (nothing was received);
 *   CanceledError when `signal` aborted the bundle download; DependencyError when S3 kept failing.
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { config } = options;
  const log = options.log ?? silentLog;
  const announce = options.announce ?? ((text: string) => process.stderr.write(text));
  const { engine, bundleDir, bundleSync } =
    options.engine === undefined
      ? await bundleEngine(config, log, options)
      : { engine: options.engine, bundleDir: undefined, bundleSync: undefined };
  const ports =
    options.ports ??
    createServicePorts(config, {
      onInvalidMessage: (error, messageId) =>
        log.error('a queue message does not parse; leaving it to the dead-letter queue', {
          messageId,
          error,
        }),
    });
  const emitMetricLine =
    options.emitMetricLine ??
    (config.mode === 'aws' ? (line: string) => process.stdout.write(line) : undefined);
  const store =
    emitMetricLine === undefined
      ? ports.store
      : withJobMetrics(ports.store, emitJobMetrics(emitMetricLine));
  const lanes = config.worker.lanes;
  const settings = workerSettings(
    {
      leaseSeconds: config.worker.leaseSeconds,
      maxAttempts: config.worker.maxAttempts,
      drainMs: config.worker.shutdownGraceSeconds * 1000,
      ...options.settings,
    },
    lanes.length,
  );
  const worker = new EditWorker({
    engine,
    lanes: lanes.map((lane: Lane) => ({ lane, queue: ports.queues[lane] })),
    store,
    blobs: ports.blobs,
    // Job changes of batch items also update their batch (docs/batches.md).
    events: withBatchProgress(ports.events, batchTrackerFor(config, ports.blobs), log),
    settings,
    log,
    ...(options.onResult === undefined ? {} : { onResult: options.onResult }),
    onStarted: (model) => {
      if (!model.synthetic) return;
      // Before the first job, so that nobody mistakes a tiny bundle's output for an edit.
      announce(syntheticBanner(model.name, model.notice));
      log.warn('TINY TEST BUNDLE: job outputs are NOT real edits; every job says model.synthetic', {
        model: model.name,
        bundleDir,
      });
    },
  });
  const model = await worker.start();
  return {
    worker,
    model,
    bundleDir,
    bundleSync,
    close: (closeOptions) => worker.close(closeOptions),
  };
}

/** An EditEngine on the configured bundle, downloaded first when it lives in S3. */
async function bundleEngine(
  config: AppConfig,
  log: WorkerLog,
  options: StartWorkerOptions,
): Promise<{ engine: Engine; bundleDir: string; bundleSync: BundleSyncResult | undefined }> {
  const provider = { name: config.worker.executionProvider };
  const bundleSync = await downloadBundle(config, log, options);
  if (bundleSync !== undefined) {
    // Every file was verified by the download (or by the marker of one): no second hash pass.
    const engine = new EditEngine({ bundleDir: bundleSync.dir, provider, verifyChecksums: false });
    return { engine, bundleDir: bundleSync.dir, bundleSync };
  }
  const bundleDir = await resolveBundleDir(config, log);
  return { engine: new EditEngine({ bundleDir, provider }), bundleDir, bundleSync };
}

/** In aws mode with VIBE_MODEL_S3_URI: the bundle synced into the host's model cache. */
async function downloadBundle(
  config: AppConfig,
  log: WorkerLog,
  options: StartWorkerOptions,
): Promise<BundleSyncResult | undefined> {
  const { modelS3Uri, modelCacheDir } = config.worker;
  if (config.storage.mode !== 'aws' || modelS3Uri === undefined) return undefined;
  if (modelCacheDir === undefined) {
    throw new BundleError(
      'BUNDLE_MISSING',
      `Expected ${ENV.modelCacheDir} to name the model cache folder with ${ENV.modelS3Uri} but it is unset`,
    );
  }
  const { region, endpoint } = config.storage;
  // The download's own client: its sockets are closed once the bundle is in place.
  const s3 = options.s3 ?? createAwsClients({ region, endpoint }).s3;
  try {
    log.info('syncing the model bundle', { bundle: modelS3Uri, cache: modelCacheDir });
    const synced = await syncBundle({
      s3,
      uri: modelS3Uri,
      cacheDir: modelCacheDir,
      log,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    log.info('model bundle ready', {
      dir: synced.dir,
      totalBytes: synced.totalBytes,
      downloadedFiles: synced.downloadedFiles,
      downloadedBytes: synced.downloadedBytes,
      hashedFiles: synced.hashedFiles,
      waitedForLock: synced.waitedForLock,
      ms: synced.ms,
      mbPerSecond:
        synced.downloadedBytes === 0 ? 0 : Math.round(synced.downloadedBytes / 1000 / synced.ms),
    });
    return synced;
  } finally {
    if (options.s3 === undefined) s3.destroy();
  }
}

/**
 * The configured bundle folder; in local mode without one, the cached tiny test bundle (imported
 * lazily: the generator is a test fixture that production images need not carry).
 */
async function resolveBundleDir(config: AppConfig, log: WorkerLog): Promise<string> {
  const configured = config.worker.bundleDir;
  if (configured !== undefined) return resolve(configured);
  if (config.mode !== 'local') {
    throw new BundleError(
      'BUNDLE_MISSING',
      `Expected ${ENV.modelS3Uri} (the bundle in S3) or ${ENV.bundleDir} (a bundle folder) in aws mode but both are unset; the tiny test bundle is for local mode only`,
    );
  }
  log.warn(`${ENV.bundleDir} is unset: using the tiny test bundle (NOT a real edit)`);
  const { ensureTinyBundle } = await import('#test/fixtures/tiny-bundle/tiny-bundle-cache.ts');
  return ensureTinyBundle({ precision: 'float32' });
}
