import { utimes, writeFile } from 'node:fs/promises';
import { silentLog, type WorkerLog } from './worker-log.ts';

/** How often the file is touched by default: well inside the 15 s the image's check relies on. */
export const HEALTH_TOUCH_INTERVAL_MS = 10_000;

export interface HealthFileOptions {
  /** The file the container's health check looks at (VIBE_HEALTH_FILE). */
  readonly path: string;
  /** @default HEALTH_TOUCH_INTERVAL_MS */
  readonly intervalMs?: number;
  readonly log?: WorkerLog;
}

export interface HealthFile {
  readonly path: string;
  /** Stops touching the file (it is left in place and goes stale). Safe to call more than once. */
  stop(): void;
}

/**
 * Touches `path` now and then every `intervalMs` from a timer on the calling (main) thread, so the
 * file stays fresh exactly as long as the event loop runs: through the bundle download, the model
 * load and every job (inference runs in its own thread). A wedged loop or a dead process stops the
 * touches, and runtime/docker/health-check.sh then reports the task unhealthy. The timer does not
 * keep the process alive.
 */
export function startHealthFile(options: HealthFileOptions): HealthFile {
  const log = options.log ?? silentLog;
  const { path } = options;
  let stopped = false;
  let failing = false;
  const touch = async (): Promise<void> => {
    if (stopped) return;
    try {
      const now = new Date();
      await utimes(path, now, now).catch(async (error: unknown) => {
        if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
        await writeFile(path, '');
      });
      if (failing) log.info('the health file is being touched again', { path });
      failing = false;
    } catch (error) {
      // Logged once per failing spell: a health check that fails for this reason says the rest.
      if (!failing) log.warn('could not touch the health file', { path, error });
      failing = true;
    }
  };
  void touch();
  const timer = setInterval(() => void touch(), options.intervalMs ?? HEALTH_TOUCH_INTERVAL_MS);
  timer.unref();
  return {
    path,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
