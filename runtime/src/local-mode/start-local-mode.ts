import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AppConfig } from '#core/config/parse-config.ts';
import { ConfigError } from '#core/errors.ts';
import { type AccessStores, createLocalAccessStores } from '#core/keys/access-stores.ts';
import type { OutboundUrlPolicy } from '#core/net/outbound-url.ts';
import { apiConfigFromAppConfig } from '#functions/api/api-config.ts';
import type { ApiDeps, LogSink } from '#functions/api/api-types.ts';
import { localModeBatchPorts } from '#functions/api/batches/batch-ports.ts';
import {
  createBatchTaskRunnerFor,
  runBatchTasksInBackground,
} from '#functions/api/batches/batch-task-runner.ts';
import { type LocalApiServer, startLocalApiServer } from '#functions/local/http-server.ts';
import { localWebhooks } from '#functions/webhooks/local-webhooks.ts';
import { EditEngine } from '#runtime/engine/edit-engine.ts';
import type { EditWorker } from '#runtime/worker/edit-worker.ts';
import type { Engine, ModelInfo } from '#runtime/worker/engine.ts';
import type { LeaseResult } from '#runtime/worker/process-lease.ts';
import {
  createServicePorts,
  localDataLayout,
  type ServicePorts,
} from '#runtime/worker/service-ports.ts';
import { startWorker } from '#runtime/worker/start-worker.ts';
import { silentLog, type WorkerLog } from '#runtime/worker/worker-log.ts';
import type { WorkerSettings } from '#runtime/worker/worker-settings.ts';
import { resolveLocalBundle } from './local-bundle.ts';
import { ensureLocalKey, type LocalKey } from './local-key.ts';
import { ensureLocalWebhookSecret } from './local-webhook-secret.ts';

export interface StartLocalModeOptions {
  /** A `local` configuration (core's parseConfig). */
  readonly config: AppConfig;
  /**
   * Listen on this port instead of `config.api.port`; 0 takes any free port (tests). Signed blob
   * URLs then name the bound URL rather than `config.api.publicBaseUrl`.
   */
  readonly port?: number;
  /** JSON lines on stderr in `main.ts`; silent by default. */
  readonly log?: WorkerLog;
  /** Where the loud tiny-bundle banner goes. @default stderr */
  readonly announce?: (text: string) => void;
  /** An engine to use instead of an EditEngine on the configured bundle (tests). */
  readonly engine?: Engine;
  /** Overrides of the worker loop's settings (tests: short backoff). */
  readonly workerSettings?: Partial<WorkerSettings>;
  readonly onResult?: (result: LeaseResult) => void;
  /**
   * Origins exempt from the outbound URL rules (image URLs, webhook receivers), e.g.
   * `http://127.0.0.1:40123`. For tests only: `npm start` passes none.
   */
  readonly outboundPolicy?: OutboundUrlPolicy;
}

export interface LocalMode {
  /** The API's base URL, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  /** The data folder, absolute. */
  readonly dataDir: string;
  /** The `whsec_` secret(s) webhook deliveries are signed with (VIBE_WEBHOOK_SECRET or the saved one). */
  readonly webhookSecret: string;
  /** The model the worker runs (`synthetic` on the tiny test bundle). */
  readonly model: ModelInfo;
  /** The bundle folder; undefined when `options.engine` was given. */
  readonly bundleDir: string | undefined;
  /** The ports the API and the worker share. */
  readonly ports: ServicePorts;
  /**
   * With API keys required: local mode's own key (see local-key.ts). `token` is undefined when the
   * operator manages the keys; with keys disabled the whole field is undefined.
   */
  readonly apiKey: LocalKey | undefined;
  readonly server: LocalApiServer;
  readonly worker: EditWorker;
  /**
   * Drains the worker (the current job finishes within `deadlineMs`, default the configured grace,
   * or goes back to the queue), then closes the server. Memoized.
   */
  close(options?: { readonly deadlineMs?: number }): Promise<void>;
}

/**
 * The local-mode composition root: the HTTP API and one worker in this process, on the embedded
 * stores and queues under the data folder (DESIGN §1, §4), sharing one set of ports, one URL
 * signing secret and one base URL. The engine starts first (a bad bundle stops everything before
 * the port is bound), then the server binds, then the worker takes jobs, so a busy port never costs
 * a queued job an attempt. Without VIBE_BUNDLE_DIR the worker runs on the tiny test bundle: the
 * banner, the log and every job's `model.synthetic` say so.
 * @throws ConfigError in aws mode; the engine's BundleError or ExecutionProviderError; the
 *   server's listen error (EADDRINUSE). Nothing keeps running after a throw.
 */
export async function startLocalMode(options: StartLocalModeOptions): Promise<LocalMode> {
  const { config } = options;
  const log = options.log ?? silentLog;
  if (config.storage.mode !== 'local') {
    throw new ConfigError(
      `Expected VIBE_MODE=local for local mode (embedded stores under a data folder) but received "${config.mode}"; in aws mode run the Lambda API and runtime/src/worker/main.ts`,
    );
  }
  const dataDir = resolve(config.storage.dataDir);
  await prepareDataDir(dataDir);
  // One secret for the API (which signs blob URLs) and the server (which checks them). A random one
  // per start makes URLs signed before a restart invalid; GET /v1/edits/{id} signs a fresh one.
  const secret = config.api.urlSigningSecret ?? randomBytes(32).toString('base64url');
  // Keys, idempotency records and per-key usage under `<data>/access/`, as in the bucket on AWS.
  const access = createLocalAccessStores(dataDir);
  const apiKey =
    config.auth.mode === 'required' ? await ensureLocalKey(access.keys, dataDir) : undefined;

  const { engine, bundleDir } =
    options.engine === undefined
      ? await bundleEngine(config, log)
      : { engine: options.engine, bundleDir: undefined };
  let model: ModelInfo;
  try {
    model = await engine.start();
  } catch (error) {
    await engine.close();
    throw error;
  }

  const layout = localDataLayout(dataDir);
  const webhookSecret = await ensureLocalWebhookSecret(config.webhooks.secret, dataDir);
  const webhooks = localWebhooks({
    bucketDir: layout.bucket,
    eventsDir: layout.events,
    eventsDeadLetterDir: layout.eventsDeadLetter,
    secret: webhookSecret.secret,
    logSink: apiLog(log),
    ...(options.outboundPolicy === undefined ? {} : { policy: options.outboundPolicy }),
  });
  const batches = localModeBatchPorts(dataDir, { maxReceiveCount: config.worker.maxReceiveCount });

  let ports: ServicePorts | undefined;
  let deps: ApiDeps | undefined;
  let server: LocalApiServer;
  try {
    server = await startLocalApiServer({
      host: config.api.host,
      port: options.port ?? config.api.port,
      blobUrlSecret: secret,
      deps: (url) => {
        const baseUrl = options.port === undefined ? config.api.publicBaseUrl : url;
        ports = createServicePorts(withBlobUrls(config, baseUrl, secret), {
          onInvalidMessage: (error, messageId) =>
            log.error('a queue message does not parse; leaving it to the dead-letter queue', {
              messageId,
              error,
            }),
        });
        deps = {
          ...apiDeps(config, { ports, access, model, log, batches, webhooks }),
          ...(options.outboundPolicy === undefined ? {} : { outbound: options.outboundPolicy }),
        };
        return deps;
      },
    });
  } catch (error) {
    await engine.close();
    throw error;
  }
  // startLocalApiServer calls `deps` before it resolves, so the ports exist by now.
  const shared = ports as ServicePorts | undefined;
  const builtDeps = deps as ApiDeps | undefined;
  if (shared === undefined || builtDeps === undefined) {
    await server.close();
    await engine.close();
    throw new ConfigError('Expected the local server to build the ports before it resolved');
  }

  let running: Awaited<ReturnType<typeof startWorker>>;
  try {
    running = await startWorker({
      config,
      ports: shared,
      engine,
      log,
      ...(options.announce === undefined ? {} : { announce: options.announce }),
      ...(options.workerSettings === undefined ? {} : { settings: options.workerSettings }),
      ...(options.onResult === undefined ? {} : { onResult: options.onResult }),
    });
  } catch (error) {
    await server.close();
    await engine.close();
    throw error;
  }
  // Off the worker: webhook deliveries and batch fan-out run beside it in this process, so a slow
  // receiver or a 10,000-line manifest never holds up the GPU loop.
  const deliverer = webhooks.start();
  const batchTasks = runBatchTasksInBackground(createBatchTaskRunnerFor(builtDeps));
  if (webhookSecret.created) {
    log.warn('made a webhook signing secret for this data folder', { path: webhookSecret.path });
  }
  log.info('local mode ready', { url: server.url, dataDir, model: model.name, bundleDir });

  let closing: Promise<void> | undefined;
  const close = async (deadlineMs?: number): Promise<void> => {
    const errors: unknown[] = [];
    await running.close(deadlineMs === undefined ? {} : { deadlineMs }).catch((error: unknown) => {
      errors.push(error);
    });
    await batchTasks.stop().catch((error: unknown) => {
      errors.push(error);
    });
    await deliverer.close().catch((error: unknown) => {
      errors.push(error);
    });
    await server.close().catch((error: unknown) => {
      errors.push(error);
    });
    log.info('local mode stopped', { url: server.url });
    if (errors.length > 0) {
      throw new AggregateError(errors, `Stopping local mode failed in ${errors.length} step(s)`);
    }
  };
  return {
    url: server.url,
    dataDir,
    webhookSecret: webhookSecret.secret,
    model,
    bundleDir,
    ports: shared,
    apiKey,
    server,
    worker: running.worker,
    close: (closeOptions = {}) => {
      closing ??= close(closeOptions.deadlineMs);
      return closing;
    },
  };
}

/** The data folder, with a `.gitignore` of its own so that a checkout never commits job data. */
async function prepareDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(
    join(dataDir, '.gitignore'),
    '# VIBE local-mode data (jobs, images, queues)\n*\n',
    {
      flag: 'w',
    },
  );
}

async function bundleEngine(
  config: AppConfig,
  log: WorkerLog,
): Promise<{ engine: Engine; bundleDir: string }> {
  const bundleDir = await resolveLocalBundle(config, log);
  return {
    engine: new EditEngine({ bundleDir, provider: { name: config.worker.executionProvider } }),
    bundleDir,
  };
}

/** The configuration with the base URL and secret that the local blob store signs with. */
function withBlobUrls(config: AppConfig, publicBaseUrl: string, secret: string): AppConfig {
  return { ...config, api: { ...config.api, publicBaseUrl, urlSigningSecret: secret } };
}

function apiDeps(
  config: AppConfig,
  parts: {
    readonly ports: ServicePorts;
    readonly access: AccessStores;
    readonly model: ModelInfo;
    readonly log: WorkerLog;
    readonly batches: ApiDeps['batches'];
    readonly webhooks: { readonly deliveries: ApiDeps['webhookDeliveries'] };
  },
): ApiDeps {
  const { ports, access, model, log } = parts;
  return {
    blobs: ports.blobs,
    jobs: ports.store,
    queues: ports.queues,
    events: ports.events,
    keys: access.keys,
    idempotency: access.idempotency,
    usage: access.usage,
    batches: parts.batches,
    webhookDeliveries: parts.webhooks.deliveries,
    // New records name the model from the start, so even a queued job says `synthetic`.
    config: {
      ...apiConfigFromAppConfig(config),
      model: { name: model.name, version: model.version, synthetic: model.synthetic },
    },
    log: apiLog(log),
  };
}

/** The API's log lines into the worker's log, so that local mode writes one stream. */
function apiLog(log: WorkerLog): LogSink {
  return ({ level, msg, ...fields }) => log[level](`api: ${msg}`, fields);
}
