import { afterEach, describe, expect, it } from 'vitest';
import { BundleError, DependencyError, InferenceError } from '#core/errors.ts';
import type { JobMessage } from '#core/jobs/job-message.ts';
import type { JobQueue } from '#core/ports.ts';
import { EditWorker } from '#runtime/worker/edit-worker.ts';
import type { LeaseResult } from '#runtime/worker/process-lease.ts';
import { workerSettings } from '#runtime/worker/worker-settings.ts';
import { FakeEngine } from './fake-engine.ts';
import { createFlow, type Flow, useTempRoot, waitFor } from './worker-harness.ts';

const newDir = useTempRoot('edit-worker');
const workers: EditWorker[] = [];

afterEach(async () => {
  await Promise.allSettled(workers.splice(0).map((worker) => worker.close({ deadlineMs: 0 })));
});

function steps(n: number) {
  return {
    parameters: {
      steps: n,
      guidanceScale: 4.5,
      imageGuidanceScale: 1.2,
      seed: 3,
      sizeMode: 'aligned' as const,
      output: { format: 'png' as const },
    },
  };
}

function makeWorker(
  flow: Flow,
  engine: FakeEngine,
  options: { interactive?: JobQueue<JobMessage>; drainMs?: number } = {},
) {
  const results: LeaseResult[] = [];
  const worker = new EditWorker({
    engine,
    lanes: [
      { lane: 'interactive', queue: options.interactive ?? flow.queues.interactive },
      { lane: 'batch', queue: flow.queues.batch },
    ],
    store: flow.store,
    blobs: flow.blobs,
    events: flow.events,
    settings: workerSettings(
      {
        leaseSeconds: 30,
        maxAttempts: 3,
        backoffSeconds: () => 0,
        idleWaitSeconds: 1,
        drainMs: options.drainMs ?? 5_000,
      },
      2,
    ),
    onResult: (result) => results.push(result),
  });
  workers.push(worker);
  return { worker, results };
}

describe('EditWorker', () => {
  it('takes interactive jobs before batch jobs, one at a time', async () => {
    const flow = createFlow(newDir());
    const batch = await flow.submit({ lane: 'batch' });
    const first = await flow.submit({ lane: 'interactive' });
    const second = await flow.submit({ lane: 'interactive' });
    const engine = new FakeEngine();
    const { worker, results } = makeWorker(flow, engine);

    await worker.start();
    await waitFor(() => results.length === 3);

    expect(results.map((r) => r.jobId)).toEqual([first.job.id, second.job.id, batch.job.id]);
    expect(results.map((r) => r.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('lets the current job finish within the drain deadline, then stops the engine', async () => {
    const flow = createFlow(newDir());
    const { job } = await flow.submit(steps(10));
    const engine = new FakeEngine({ stepMs: 40 });
    const { worker } = makeWorker(flow, engine);
    await worker.start();
    await waitFor(() => worker.state.phase === 'busy');

    await worker.close({ deadlineMs: 5_000 });

    expect((await flow.record(job.id)).status).toBe('succeeded');
    expect(worker.state).toMatchObject({ phase: 'closed', handled: 1 });
    expect(engine.closes).toBe(1);
    expect(await flow.queues.interactive.depth()).toEqual({ visible: 0, hidden: 0 });
  });

  it('releases the job and requeues its record when it cannot finish within the deadline', async () => {
    const flow = createFlow(newDir());
    const { job } = await flow.submit(steps(100));
    const engine = new FakeEngine({ stepMs: 50 });
    const { worker, results } = makeWorker(flow, engine);
    await worker.start();
    await waitFor(async () => ((await flow.record(job.id)).progress?.step ?? 0) >= 1);
    const closing = Date.now();

    await worker.close({ deadlineMs: 200 });

    expect(Date.now() - closing).toBeLessThan(2_000);
    expect(results.map((r) => r.outcome)).toEqual(['released']);
    expect(await flow.record(job.id)).toMatchObject({
      status: 'queued',
      attempts: 2,
      progress: null,
    });
    expect(await flow.outputs()).toEqual([]);
    // Visible again at once, for another worker.
    const next = await flow.receive();
    expect(next.message.jobId).toBe(job.id);
    expect(next.attempt).toBe(2);
  });

  it('closes once however often close() is called, and runs every step when one fails', async () => {
    const flow = createFlow(newDir());
    const closeError = new InferenceError('The inference thread hung');
    const engine = new FakeEngine({ closeError });
    const { worker } = makeWorker(flow, engine);
    await worker.start();

    const first = worker.close({ deadlineMs: 100 });
    const second = worker.close({ deadlineMs: 9_000 });

    expect(second).toBe(first);
    const error = await first.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([closeError]);
    expect(worker.state.phase).toBe('closed');
    expect(engine.closes).toBe(1);
  });

  it('refuses to start when the engine does not start, and takes no job', async () => {
    const flow = createFlow(newDir());
    await flow.submit();
    const startError = new BundleError(
      'BUNDLE_INVALID',
      'Expected manifest.json graph "dit" to have input "hidden_states" but found none',
    );
    const engine = new FakeEngine({ startError });
    const { worker } = makeWorker(flow, engine);

    await expect(worker.start()).rejects.toBe(startError);

    expect(engine.closes).toBe(1);
    expect(engine.requests).toHaveLength(0);
    expect(await flow.queues.interactive.depth()).toEqual({ visible: 1, hidden: 0 });
  });

  it('retries a job whose inference thread died, and runs the next job', async () => {
    const flow = createFlow(newDir());
    const crashed = await flow.submit();
    const next = await flow.submit();
    const engine = new FakeEngine({
      failWith: (call) =>
        call === 1
          ? new InferenceError('The inference thread died during the job: exit code 1', {
              retryable: true,
            })
          : undefined,
    });
    const { worker, results } = makeWorker(flow, engine);

    await worker.start();
    await waitFor(() => results.filter((r) => r.outcome === 'succeeded').length === 2);

    expect(results.map((r) => [r.jobId, r.outcome])).toEqual([
      [crashed.job.id, 'retried'],
      [next.job.id, 'succeeded'],
      [crashed.job.id, 'succeeded'],
    ]);
    expect(await flow.record(crashed.job.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('keeps polling after the queue fails for a while', async () => {
    const flow = createFlow(newDir());
    const { job } = await flow.submit();
    let failures = 0;
    const flaky: JobQueue<JobMessage> = {
      send: (message, options) => flow.queues.interactive.send(message, options),
      receive: async (options) => {
        if (failures < 1) {
          failures += 1;
          throw new DependencyError('SQS ReceiveMessage failed: connect ECONNREFUSED');
        }
        return flow.queues.interactive.receive(options);
      },
    };
    const { worker, results } = makeWorker(flow, new FakeEngine(), { interactive: flaky });

    await worker.start();
    await waitFor(() => results.length === 1);

    expect(failures).toBe(1);
    expect(results[0]).toMatchObject({ jobId: job.id, outcome: 'succeeded' });
  });
});
