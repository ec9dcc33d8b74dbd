import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HEALTH_TOUCH_INTERVAL_MS, startHealthFile } from '#runtime/worker/health-file.ts';
import type { WorkerLog } from '#runtime/worker/worker-log.ts';
import { useTempRoot, waitFor } from './worker-harness.ts';

const newDir = useTempRoot('health-file');
const HEALTH_CHECK = fileURLToPath(new URL('../../docker/health-check.sh', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** runtime/docker/health-check.sh, as Docker and ECS run it. */
const healthCheck = (file: string) =>
  spawnSync('bash', [HEALTH_CHECK], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', VIBE_HEALTH_FILE: file },
    encoding: 'utf8',
  });

/** Sets the file's mtime `seconds` into the past. */
function age(file: string, seconds: number): void {
  const past = Date.now() / 1000 - seconds;
  utimesSync(file, past, past);
}

describe('startHealthFile', () => {
  it('touches well inside the 15 s the container relies on by default', () => {
    expect(HEALTH_TOUCH_INTERVAL_MS).toBeLessThanOrEqual(15_000);
  });

  it('creates the file at once and keeps touching it, so the health check passes', async () => {
    const dir = newDir();
    mkdirSync(dir);
    const file = join(dir, 'vibe-worker.alive');
    const health = startHealthFile({ path: file, intervalMs: 40 });
    try {
      await waitFor(() => statSafe(file) !== undefined, 1_000);
      age(file, 200);
      expect(healthCheck(file).status).toBe(1);

      await waitFor(() => (statSafe(file) ?? 0) > Date.now() - 5_000, 1_000);

      const check = healthCheck(file);
      expect(check.status).toBe(0);
      expect(check.stdout).toMatch(/^healthy: .* touched [01] s ago/);
    } finally {
      health.stop();
    }
  });

  it('stops touching once stopped, and the health check then fails', async () => {
    const dir = newDir();
    mkdirSync(dir);
    const file = join(dir, 'alive');
    const health = startHealthFile({ path: file, intervalMs: 30 });
    await waitFor(() => statSafe(file) !== undefined, 1_000);

    health.stop();
    health.stop();
    await sleep(20);
    age(file, 200);
    await sleep(150);

    expect(Date.now() / 1000 - (statSafe(file) ?? 0) / 1000).toBeGreaterThan(190);
    expect(healthCheck(file).stdout).toMatch(
      /unhealthy: .* last touched 20\d s ago \(limit 90 s\)/,
    );
  });

  it('logs once when the file cannot be written and carries on', async () => {
    const warnings: string[] = [];
    const log: WorkerLog = {
      debug: () => {},
      info: () => {},
      warn: (message) => warnings.push(message),
      error: () => {},
    };
    const health = startHealthFile({
      path: join(newDir(), 'missing-folder', 'alive'),
      intervalMs: 20,
      log,
    });
    await sleep(120);
    health.stop();

    expect(warnings).toEqual(['could not touch the health file']);
  });
});

function statSafe(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}
