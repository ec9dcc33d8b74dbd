/**
 * `npm start`: local mode in one process (`node --import tsx runtime/src/local-mode/main.ts`).
 * Parses the environment once, starts the API and a worker on 127.0.0.1 over the data folder,
 * prints where and how to try it, and on SIGINT/SIGTERM drains the worker (the running job gets
 * VIBE_SHUTDOWN_GRACE_SECONDS) and then closes the server. A second signal exits at once.
 * Exits non-zero with the reason when the configuration, the bundle or the port is wrong.
 */
import { type AppConfig, parseConfig } from '#core/config/parse-config.ts';
import { jsonLog } from '#runtime/worker/worker-log.ts';
import { isEntryPoint } from './is-entry-point.ts';
import { readyBanner } from './ready-banner.ts';
import { type LocalMode, startLocalMode } from './start-local-mode.ts';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: AppConfig;
  try {
    config = parseConfig(env);
  } catch (error) {
    fatal('invalid configuration', error);
    return;
  }
  const log = jsonLog(config.logLevel);
  const deadlineMs = config.worker.shutdownGraceSeconds * 1000;
  let running: LocalMode | undefined;
  let signaled = false;
  const stop = (localMode: LocalMode): void => {
    localMode.close({ deadlineMs }).then(
      () => {
        process.stdout.write('VIBE local mode stopped.\n');
        process.exit(0);
      },
      (error: unknown) => {
        log.error('local mode did not stop cleanly', { error });
        process.exit(1);
      },
    );
  };
  // Listening before the start: a Ctrl-C while the model loads still closes cleanly.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signaled) {
      log.warn('second signal: exiting without draining', { signal });
      process.exit(1);
    }
    signaled = true;
    log.info('signal received: draining the worker, then closing the server', {
      signal,
      deadlineMs,
    });
    if (running !== undefined) stop(running);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    running = await startLocalMode({ config, log });
  } catch (error) {
    fatal('local mode refuses to start', error);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    return;
  }
  process.stdout.write(
    readyBanner({
      url: running.url,
      dataDir: running.dataDir,
      model: running.model,
      bundleDir: running.bundleDir,
      lanes: config.worker.lanes,
      graceSeconds: config.worker.shutdownGraceSeconds,
      apiKey: running.apiKey,
      playground: config.api.playground,
    }),
  );
  if (signaled) stop(running);
}

function fatal(what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof Error && 'code' in error ? ` [${String(error.code)}]` : '';
  const hint =
    error instanceof Error && 'code' in error && error.code === 'EADDRINUSE'
      ? '\nAnother process listens there: stop it, or choose another port with VIBE_PORT.\n'
      : '';
  process.stderr.write(`vibe local mode: ${what}${code}:\n${message}\n${hint}`);
  process.exitCode = 1;
}

if (isEntryPoint(import.meta.url)) await main();
