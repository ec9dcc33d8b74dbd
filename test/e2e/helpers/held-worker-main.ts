/**
 * A worker process for the crash and shutdown tests: `runtime/src/worker/main.ts`'s composition
 * (parseConfig of the environment, startWorker, drain on SIGTERM/SIGINT within
 * VIBE_SHUTDOWN_GRACE_SECONDS, exit 0 after a clean close) with the real engine on the tiny test
 * bundle behind a HeldEngine, so that a job stays running for E2E_HOLD_MS and a test can kill or
 * stop the process in the middle of it.
 */
import { parseConfig } from '#core/config/parse-config.ts';
import { startWorker } from '#runtime/worker/start-worker.ts';
import { jsonLog } from '#runtime/worker/worker-log.ts';
import { tinyEngine } from './tiny-engine.ts';

const config = parseConfig(process.env);
const log = jsonLog('info');
const engine = await tinyEngine(Number(process.env.E2E_HOLD_MS ?? '0'));
const running = await startWorker({ config, log, engine, announce: () => {} });
const deadlineMs = config.worker.shutdownGraceSeconds * 1000;
let signaled = false;
const onSignal = (signal: NodeJS.Signals): void => {
  if (signaled) process.exit(1);
  signaled = true;
  log.info('signal received: draining', { signal, deadlineMs });
  running.close({ deadlineMs }).then(
    () => process.exit(0),
    (error: unknown) => {
      log.error('the worker did not close cleanly', { error });
      process.exit(1);
    },
  );
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
