import { resolve } from 'node:path';
import { ENV } from '#core/config/env-names.ts';
import type { AppConfig } from '#core/config/parse-config.ts';
import { BundleError } from '#core/errors.ts';
import type { Lane } from '#core/jobs/job-record.ts';
import { syntheticBanner } from '#runtime/cli/report-timings.ts';
import { EditEngine } from '#runtime/engine/edit-engine.ts';
import { type CloseOptions, EditWorker } from './edit-worker.ts';
import type { Engine, ModelInfo } from './engine.ts';
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
}

export interface RunningWorker {
  readonly worker: EditWorker;
  readonly model: ModelInfo;
  /** The bundle the engine loaded; undefined when `options.engine` was given. */
  readonly bundleDir: string | undefined;
  /** Drains (within `deadlineMs`, default the configured grace) and stops. Memoized. */
  close(options?: CloseOptions): Promise<void>;
}

/**
 * The worker's composition: ports for the configured mode, an EditEngine on the configured bundle
 * (in local mode without VIBE_BUNDLE_DIR: the tiny test bundle, announced loudly), and an
 * EditWorker polling the configured lanes. Resolves once the engine has started and the loop runs.
 * Used by `main.ts`, the local-mode root and end-to-end tests.
 * @throws BundleError or ExecutionProviderError when the engine cannot start (nothing was received).
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { config } = options;
  const log = options.log ?? silentLog;
  const announce = options.announce ?? ((text: string) => process.stderr.write(text));
  const { engine, bundleDir } =
    options.engine === undefined
      ? await bundleEngine(config, log)
      : { engine: options.engine, bundleDir: undefined };
  const ports =
    options.ports ??
    createServicePorts(config, {
      onInvalidMessage: (error, messageId) =>
        log.error('a queue message does not parse; leaving it to the dead-letter queue', {
          messageId,
          error,
        }),
    });
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
    store: ports.store,
    blobs: ports.blobs,
    events: ports.events,
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
  return { worker, model, bundleDir, close: (closeOptions) => worker.close(closeOptions) };
}

/** An EditEngine on the configured bundle. */
async function bundleEngine(
  config: AppConfig,
  log: WorkerLog,
): Promise<{ engine: Engine; bundleDir: string }> {
  const bundleDir = await resolveBundleDir(config, log);
  const engine = new EditEngine({ bundleDir, provider: { name: config.worker.executionProvider } });
  return { engine, bundleDir };
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
      `Expected ${ENV.bundleDir} to name the model bundle folder in aws mode but it is unset; the tiny test bundle is for local mode only`,
    );
  }
  log.warn(`${ENV.bundleDir} is unset: using the tiny test bundle (NOT a real edit)`);
  const { ensureTinyBundle } = await import('#test/fixtures/tiny-bundle/tiny-bundle-cache.ts');
  return ensureTinyBundle({ precision: 'float32' });
}
