import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { DependencyError } from '../errors.ts';
import { isErrnoException, isMissingFileError } from './atomic-file.ts';

export interface FileLockOptions {
  /** Give up after this long (default 5 s). */
  readonly timeoutMs?: number;
  /** A lock file older than this was left by a dead process and may be taken over (default 10 s). */
  readonly staleMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` while holding an exclusive lock file (created with O_EXCL), so that processes sharing a
 * data folder serialize their read-modify-write sections. A lock left behind by a crashed process
 * is taken over once it is older than `staleMs`; `fn` must finish well within that time.
 */
export async function withFileLock<R>(
  lockPath: string,
  fn: () => Promise<R>,
  options: FileLockOptions = {},
): Promise<R> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const staleMs = options.staleMs ?? 10_000;
  const token = `${process.pid}:${randomBytes(8).toString('hex')}`;
  const giveUpAt = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(token);
      await handle.close();
      break;
    } catch (error) {
      if (!(isErrnoException(error) && error.code === 'EEXIST')) throw error;
    }
    await breakIfStale(lockPath, staleMs);
    if (Date.now() >= giveUpAt) {
      throw new DependencyError(
        `Expected to acquire the lock ${lockPath} within ${timeoutMs} ms but another holder kept it`,
        { details: { lockPath, timeoutMs } },
      );
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 50);
  }
  try {
    return await fn();
  } finally {
    await releaseLock(lockPath, token);
  }
}

async function releaseLock(lockPath: string, token: string): Promise<void> {
  // Only remove our own lock: if we were too slow and it was taken over, it is someone else's now.
  const content = await readFile(lockPath, 'utf8').catch((error: unknown) => {
    if (isMissingFileError(error)) return undefined;
    throw error;
  });
  if (content === token) await rm(lockPath, { force: true });
}

async function breakIfStale(lockPath: string, staleMs: number): Promise<void> {
  try {
    const info = await stat(lockPath);
    if (Date.now() - info.mtimeMs < staleMs) return;
    // Rename first so that only one of several waiters removes the stale lock.
    const grave = `${lockPath}.stale-${randomBytes(4).toString('hex')}`;
    await rename(lockPath, grave);
    await rm(grave, { force: true });
  } catch (error) {
    if (!isMissingFileError(error)) throw error;
  }
}
