/**
 * In-process wake-ups for long polls: a send to a queue folder wakes every receiver waiting on that
 * folder in this process at once. Receivers in other processes notice by polling.
 */
const waiters = new Map<string, Set<() => void>>();

export function notifyQueue(dir: string): void {
  for (const wake of waiters.get(dir) ?? []) wake();
}

/** Resolves after `ms`, on `notifyQueue(dir)`, or when `signal` aborts, whichever comes first. */
export function waitForQueue(
  dir: string,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const set = waiters.get(dir) ?? new Set<() => void>();
    waiters.set(dir, set);
    const finish = () => {
      clearTimeout(timer);
      set.delete(finish);
      if (set.size === 0 && waiters.get(dir) === set) waiters.delete(dir);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, Math.max(0, ms));
    set.add(finish);
    signal?.addEventListener('abort', finish, { once: true });
  });
}
