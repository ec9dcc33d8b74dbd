import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Call at the top of a test file: makes one temporary root for the file, removed after its last
 * test, and returns a function that names a fresh (not yet created) folder inside it.
 */
export function useTempRoot(prefix: string): () => string {
  const root = mkdtempSync(join(tmpdir(), `vibe-${prefix}-`));
  afterAll(() => rm(root, { recursive: true, force: true }));
  return () => join(root, randomUUID());
}

/** A fake clock: `now()` for the adapters, `advance(ms)` for the contract suites. */
export function fakeClock(start = Date.now()) {
  let current = start;
  return {
    now: () => current,
    advance: async (ms: number) => {
      current += ms;
    },
  };
}
