import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { main } from '#runtime/worker/main.ts';
import { useTempRoot } from './worker-harness.ts';

const newDir = useTempRoot('worker-main');
const MAIN = fileURLToPath(new URL('../../src/worker/main.ts', import.meta.url));

describe('worker main', () => {
  it('exits non-zero listing every configuration problem', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const exitCode = process.exitCode;
    try {
      await main({ VIBE_LEASE_SECONDS: 'soon', VIBE_EXECUTION_PROVIDER: 'tpu' });
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = exitCode;
      spy.mockRestore();
    }
    const text = written.join('');
    expect(text).toContain('vibe worker: invalid configuration [CONFIG_INVALID]');
    expect(text).toContain(
      'Expected VIBE_LEASE_SECONDS to be an integer from 2 to 43200 but received "soon"',
    );
    expect(text).toContain(
      'Expected VIBE_EXECUTION_PROVIDER to be one of cpu, cuda but received "tpu"',
    );
  });

  it('runs as a process on the tiny bundle and exits 0 after SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { PATH: process.env.PATH, VIBE_DATA_DIR: newDir(), VIBE_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const started = new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('"msg":"worker started"')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    await Promise.race([started, exited]);
    child.kill('SIGTERM');
    const code = await exited;

    expect(stderr).toContain('TINY TEST BUNDLE');
    expect(stderr).toContain('"msg":"signal received: draining"');
    expect(stderr).toContain('"msg":"worker closed"');
    expect(code).toBe(0);
  });
});
