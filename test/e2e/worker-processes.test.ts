/**
 * Workers as separate processes (`node --import tsx`) over one local data folder, with the local
 * HTTP API in the test process: a worker killed in the middle of a job, and SIGTERM during a job
 * (finished within the drain deadline, or released to another worker). The workers run the real
 * engine on the tiny test bundle (its output is NOT a real edit) behind a HeldEngine that keeps the
 * job running for E2E_HOLD_MS, so that the signal lands mid-job.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config/parse-config.ts';
import { EditClient } from '#runtime/local-mode/edit-client.ts';
import {
  jobEventTypes,
  type LocalApi,
  localOutputs,
  startLocalApi,
  testPng,
  useTempRoot,
  waitFor,
} from './helpers/e2e-harness.ts';
import { killLeftoverProcesses, type NodeProcess, startNode } from './helpers/node-process.ts';

const HELD_WORKER = fileURLToPath(new URL('./helpers/held-worker-main.ts', import.meta.url));
const newDir = useTempRoot('worker-processes');
killLeftoverProcesses();

let api: LocalApi | undefined;
afterEach(async () => {
  await api?.server.close();
  api = undefined;
});

/** A data folder, the API on it, and a way to start workers on it. */
async function setUp() {
  const env = {
    VIBE_DATA_DIR: newDir(),
    VIBE_LANES: 'interactive',
    // Short leases: a killed worker's job comes back 3 s after its last heartbeat (every 1.5 s).
    VIBE_LEASE_SECONDS: '3',
    VIBE_LOG_LEVEL: 'info',
    // These tests are about workers; local mode's keys are covered by local-mode.test.ts.
    VIBE_AUTH: 'disabled',
  };
  api = await startLocalApi(parseConfig(env));
  const local = api;
  const client = new EditClient({ url: local.url });
  return {
    api: local,
    client,
    dataDir: env.VIBE_DATA_DIR,
    async worker(options: { holdMs: number; graceSeconds: number }): Promise<NodeProcess> {
      const worker = startNode(HELD_WORKER, {
        ...env,
        E2E_HOLD_MS: String(options.holdMs),
        VIBE_SHUTDOWN_GRACE_SECONDS: String(options.graceSeconds),
      });
      await worker.waitForOutput('"msg":"worker started"');
      return worker;
    },
    async submit(): Promise<string> {
      const accepted = await client.submit({
        image: await testPng(),
        instruction: 'make it winter',
        steps: 3,
      });
      await waitFor(
        'the job to run',
        async () => (await client.get(accepted.id)).status === 'running',
      );
      return accepted.id;
    },
    eventTypes: (id: string, last: string) => jobEventTypes(local.ports.events, id, last),
  };
}

describe('worker processes', () => {
  it('a worker killed mid-job: another worker completes the job once, with one output, attempt 2', async () => {
    const flow = await setUp();
    const doomed = await flow.worker({ holdMs: 60_000, graceSeconds: 30 });
    const id = await flow.submit();
    // Logged after its `edit.running` event went out (a kill before that loses the best-effort event).
    await doomed.waitForOutput('"msg":"job running"');

    doomed.child.kill('SIGKILL');
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // Nobody wrote anything: the record still says running, and its message is leased.
    expect(await flow.client.get(id)).toMatchObject({ status: 'running', attempts: 1 });

    const rescuer = await flow.worker({ holdMs: 0, graceSeconds: 30 });
    const view = await flow.client.wait(id, { intervalMs: 50, timeoutMs: 20_000 });

    expect(view).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      output: { width: 64, height: 48, format: 'png' },
    });
    expect(await localOutputs(flow.dataDir)).toEqual([`outputs/${id}.png`]);
    expect((await flow.client.download(view.output?.url ?? '')).byteLength).toBeGreaterThan(0);
    // The re-run is running → running, not a state change: one `edit.running`, one terminal event.
    expect(await flow.eventTypes(id, 'edit.succeeded')).toEqual([
      'edit.queued',
      'edit.running',
      'edit.succeeded',
    ]);
    rescuer.child.kill('SIGTERM');
    expect((await rescuer.exited).code).toBe(0);
  });

  it('SIGTERM during a job: the worker finishes it within the drain deadline and exits 0', async () => {
    const flow = await setUp();
    const worker = await flow.worker({ holdMs: 1_500, graceSeconds: 30 });
    const id = await flow.submit();

    const signaledAt = Date.now();
    worker.child.kill('SIGTERM');
    const exit = await worker.exited;

    expect(exit.code).toBe(0);
    const view = await flow.client.get(id);
    expect(view).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(Date.parse(view.completedAt ?? '')).toBeGreaterThan(signaledAt);
    expect(await localOutputs(flow.dataDir)).toEqual([`outputs/${id}.png`]);
    expect(worker.output()).toContain('"msg":"signal received: draining"');
    expect(worker.output()).toContain('"msg":"worker closed"');
  });

  it('SIGTERM past the drain deadline: the job goes back to the queue and another worker completes it', async () => {
    const flow = await setUp();
    const worker = await flow.worker({ holdMs: 60_000, graceSeconds: 0 });
    const id = await flow.submit();

    worker.child.kill('SIGTERM');
    const exit = await worker.exited;

    expect(exit.code).toBe(0);
    expect(worker.output()).toContain('"msg":"job released for another worker (shutdown)"');
    // The drain put the record back (an attempt spent) and released the message at once.
    expect(await flow.client.get(id)).toMatchObject({ status: 'queued', attempts: 2 });
    expect(await localOutputs(flow.dataDir)).toEqual([]);

    const next = await flow.worker({ holdMs: 0, graceSeconds: 30 });
    const view = await flow.client.wait(id, { intervalMs: 50, timeoutMs: 20_000 });

    expect(view).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(await localOutputs(flow.dataDir)).toEqual([`outputs/${id}.png`]);
    expect(await flow.eventTypes(id, 'edit.succeeded')).toEqual([
      'edit.queued',
      'edit.running',
      'edit.queued',
      'edit.running',
      'edit.succeeded',
    ]);
    next.child.kill('SIGTERM');
    expect((await next.exited).code).toBe(0);
  });
});
