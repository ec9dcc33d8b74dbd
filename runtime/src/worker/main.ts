/**
 * The worker's entry point (`node --import tsx runtime/src/worker/main.ts`): parses the environment
 * once, touches VIBE_HEALTH_FILE from the start (bundle download and model load included) until the
 * worker has closed, starts the worker, and drains on SIGTERM/SIGINT within
 * VIBE_SHUTDOWN_GRACE_SECONDS. A signal during the bundle download stops it. A second signal exits
 * at once. Exits non-zero with the reason when the configuration is invalid or the engine cannot
 * start.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type AppConfig, parseConfig } from '#core/config/parse-config.ts';
import { CanceledError } from '#core/errors.ts';
import { startHealthFile } from './health-file.ts';
import { type RunningWorker, startWorker } from './start-worker.ts';
import { jsonLog } from './worker-log.ts';

export { type RunningWorker, type StartWorkerOptions, startWorker } from './start-worker.ts';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: AppConfig;
  try {
    config = parseConfig(env);
  } catch (error) {
    fatal('invalid configuration', error);
    return;
  }
  const log = jsonLog(config.logLevel);
  const health =
    config.worker.healthFile === undefined
      ? undefined
      : startHealthFile({ path: config.worker.healthFile, log });
  const deadlineMs = config.worker.shutdownGraceSeconds * 1000;
  const starting = new AbortController();
  let running: RunningWorker | undefined;
  let signaled = false;
  const drain = (worker: RunningWorker): void => {
    worker.close({ deadlineMs }).then(
      () => {
        health?.stop();
        process.exit(0);
      },
      (error: unknown) => {
        health?.stop();
        log.error('the worker did not close cleanly', { error });
        process.exit(1);
      },
    );
  };
  // Listening before the start: a signal during the (slow) engine start must not kill the
  // process without a clean close.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signaled) {
      log.warn('second signal: exiting without draining', { signal });
      process.exit(1);
    }
    signaled = true;
    log.info('signal received: draining', { signal, deadlineMs });
    if (running !== undefined) drain(running);
    // Still starting: a bundle download stops now; a model load is waited for, then drained.
    else starting.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    running = await startWorker({ config, log, signal: starting.signal });
  } catch (error) {
    health?.stop();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    if (signaled && error instanceof CanceledError) {
      log.info('stopped before the worker started', { reason: error.message });
      return;
    }
    fatal('the worker refuses to start', error);
    return;
  }
  if (signaled) drain(running);
}

function fatal(what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof Error && 'code' in error ? ` [${String(error.code)}]` : '';
  process.stderr.write(`vibe worker: ${what}${code}:\n${message}\n`);
  process.exitCode = 1;
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === import.meta.url;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return false;
    throw error;
  }
}

if (isEntryPoint()) await main();
