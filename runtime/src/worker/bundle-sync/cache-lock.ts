import { randomUUID } from 'node:crypto';
import { open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { silentLog, type WorkerLog } from '../worker-log.ts';
import { hasCode } from './fs-errors.ts';

/** A held download lock on one version folder of the model cache. */
export interface CacheLock {
  readonly path: string;
  /** Unique per holder; written into the lock file. */
  readonly token: string;
  /** True once the file no longer holds this token (another task took it over as stale). */
  readonly lost: boolean;
  /** Stops refreshing and removes the file if it is still this holder's. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** How often the holder touches the lock file to show it is alive. */
  readonly refreshMs: number;
  readonly log?: WorkerLog;
}

/**
 * Takes the lock file at `path` if nobody holds it (an exclusive create), and keeps touching it
 * every `refreshMs` while held. Resolves undefined when the file exists.
 *
 * Tasks on one host run in separate containers with separate PID namespaces, so liveness cannot be
 * judged by process id; it is judged by the file's age instead (see `breakStaleLock`). The lock
 * only saves bandwidth: every file is verified before it is renamed into place, so two tasks that
 * both believe they hold it (a takeover race) download the same bytes twice but corrupt nothing.
 */
export async function tryAcquireLock(
  path: string,
  options: LockOptions,
): Promise<CacheLock | undefined> {
  const log = options.log ?? silentLog;
  const token = randomUUID();
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    if (hasCode(error, 'EEXIST')) return undefined;
    throw error;
  }
  try {
    const owner = { token, host: hostname(), pid: process.pid, since: new Date().toISOString() };
    await handle.writeFile(JSON.stringify(owner));
    await handle.close();
  } catch (error) {
    // The write error is the one to report; a close failure after it adds nothing.
    await handle.close().catch(() => undefined);
    await unlink(path).catch(ignoreMissing);
    throw error;
  }

  let lost = false;
  let refreshing: Promise<void> = Promise.resolve();
  const refresh = async (): Promise<void> => {
    if (!(await holds(path, token))) {
      lost = true;
      clearInterval(timer);
      log.warn('the bundle cache lock was taken over by another task; finishing anyway', { path });
      return;
    }
    const now = new Date();
    await utimes(path, now, now);
  };
  const timer = setInterval(() => {
    refreshing = refreshing.then(refresh).catch((error: unknown) => {
      log.warn('could not refresh the bundle cache lock', { path, error });
    });
  }, options.refreshMs);
  timer.unref();

  return {
    path,
    token,
    get lost() {
      return lost;
    },
    async release() {
      clearInterval(timer);
      await refreshing;
      if (await holds(path, token)) await unlink(path).catch(ignoreMissing);
    },
  };
}

/**
 * Removes the lock at `path` when it was last touched more than `staleMs` ago: its holder died
 * (a killed task, a host reboot) without releasing it. The file is renamed away first, so of
 * several waiters exactly one removes it. Resolves true when this call removed it.
 */
export async function breakStaleLock(
  path: string,
  staleMs: number,
  now: () => number = Date.now,
): Promise<boolean> {
  const age = await lockAgeMs(path, now);
  if (age === undefined || age < staleMs) return false;
  const aside = `${path}.stale-${randomUUID()}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return false;
    throw error;
  }
  await unlink(aside).catch(ignoreMissing);
  return true;
}

/** Milliseconds since the lock file was last touched; undefined when there is none. */
export async function lockAgeMs(
  path: string,
  now: () => number = Date.now,
): Promise<number | undefined> {
  try {
    return now() - (await stat(path)).mtimeMs;
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

async function holds(path: string, token: string): Promise<boolean> {
  try {
    const owner: unknown = JSON.parse(await readFile(path, 'utf8'));
    return typeof owner === 'object' && owner !== null && 'token' in owner && owner.token === token;
  } catch (error) {
    // Missing, or a half-written file of a new holder: either way it is not ours.
    if (hasCode(error, 'ENOENT') || error instanceof SyntaxError) return false;
    throw error;
  }
}

function ignoreMissing(error: unknown): void {
  if (!hasCode(error, 'ENOENT')) throw error;
}
