/**
 * `npm start`'s entry point as a process, stopped with jobs still queued and started again on the
 * same data folder: the file-backed queue and store survive the restart, no job is lost, and each
 * runs once. Keys are required (the default): the first start makes local mode's key and the
 * second reuses it. The engine is the tiny test bundle; its output is NOT a real edit.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FsJobStore } from '#core/local/fs-job-store.ts';
import { EditClient } from '#runtime/local-mode/edit-client.ts';
import { readLocalKey } from '#runtime/local-mode/local-key.ts';
import { freePort, localOutputs, testPng, useTempRoot } from './helpers/e2e-harness.ts';
import { killLeftoverProcesses, startNode } from './helpers/node-process.ts';

const LOCAL_MODE = fileURLToPath(new URL('../../runtime/src/local-mode/main.ts', import.meta.url));
const newDir = useTempRoot('local-restart');
killLeftoverProcesses();

const JOBS = 6;

describe('restarting local mode', () => {
  it('keeps the jobs that were queued when it stopped, and runs each once after the restart', async () => {
    const dataDir = newDir();
    const port = await freePort();
    const env = {
      VIBE_DATA_DIR: dataDir,
      VIBE_PORT: String(port),
      VIBE_SHUTDOWN_GRACE_SECONDS: '30',
      VIBE_LOG_LEVEL: 'info',
    };
    const first = startNode(LOCAL_MODE, env);
    await first.waitForOutput('VIBE local mode is running');
    expect(first.output()).toContain('TINY TEST BUNDLE');
    expect(first.output()).toContain(`API      http://127.0.0.1:${port}`);
    const apiKey = await readLocalKey(dataDir);
    expect(apiKey).toMatch(/^vibe_[0-9a-f]{16}_/);
    const client = new EditClient({ url: `http://127.0.0.1:${port}`, apiKey });

    const image = await testPng(512, 512);
    const accepted = await Promise.all(
      Array.from({ length: JOBS }, (_, i) =>
        client.submit({ image, instruction: `make it winter, take ${i + 1}`, steps: 2 }),
      ),
    );
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    expect(first.output()).toContain('VIBE local mode stopped.');

    // On the disk, between the two processes: nothing failed, and some jobs wait in the queue.
    const store = new FsJobStore({ root: join(dataDir, 'bucket') });
    const stopped = await Promise.all(
      accepted.map(async ({ id }) => (await store.get(id))?.status),
    );
    expect(stopped.every((status) => status === 'queued' || status === 'succeeded')).toBe(true);
    expect(stopped.filter((status) => status === 'queued').length).toBeGreaterThan(0);

    const second = startNode(LOCAL_MODE, env);
    await second.waitForOutput('VIBE local mode is running');
    expect(second.output()).toContain(
      `API key  saved in ${join(dataDir, 'access', 'local-api-key')}`,
    );
    const views = await Promise.all(
      accepted.map(({ id }) => client.wait(id, { intervalMs: 100, timeoutMs: 30_000 })),
    );

    expect(views.map((view) => [view.status, view.attempts])).toEqual(
      Array.from({ length: JOBS }, () => ['succeeded', 1]),
    );
    expect((await localOutputs(dataDir)).sort()).toEqual(
      accepted.map(({ id }) => `outputs/${id}.png`).sort(),
    );
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});
