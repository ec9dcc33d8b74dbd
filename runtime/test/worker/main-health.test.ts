import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTempRoot } from './worker-harness.ts';

const newDir = useTempRoot('worker-main-health');
const MAIN = fileURLToPath(new URL('../../src/worker/main.ts', import.meta.url));

describe('worker main health file', () => {
  it('has touched VIBE_HEALTH_FILE by the time the worker started, and exits 0 on SIGTERM', async () => {
    const healthFile = `${newDir()}.alive`;
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: {
        PATH: process.env.PATH,
        VIBE_DATA_DIR: newDir(),
        VIBE_HEALTH_FILE: healthFile,
        VIBE_LANES: 'interactive',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let touchedBeforeStart: number | undefined;
    const started = new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (touchedBeforeStart === undefined && stderr.includes('"msg":"worker started"')) {
          touchedBeforeStart = mtimeOf(healthFile);
          resolve();
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    await Promise.race([started, exited]);
    child.kill('SIGTERM');
    const code = await exited;

    expect(touchedBeforeStart).toBeGreaterThan(Date.now() - 60_000);
    expect(code).toBe(0);
  });
});

function mtimeOf(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}
