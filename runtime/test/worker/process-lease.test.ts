import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  DependencyError,
  InferenceError,
  NotFoundError,
  ValidationError,
} from '#core/errors.ts';
import { jobEventId } from '#core/jobs/job-event.ts';
import type { JobMessage } from '#core/jobs/job-message.ts';
import type { Lease } from '#core/ports.ts';
import { backoffSeconds } from '#runtime/worker/backoff.ts';
import { type ProcessLeaseDeps, processLease } from '#runtime/worker/process-lease.ts';
import { FAKE_MODEL, FakeEngine } from './fake-engine.ts';
import { createFlow, type Flow, samplePng, spyLease, useTempRoot } from './worker-harness.ts';

const newDir = useTempRoot('process-lease');

function deps(
  flow: Flow,
  engine: FakeEngine,
  settings: Partial<ProcessLeaseDeps['settings']> = {},
): ProcessLeaseDeps {
  return {
    store: flow.store,
    blobs: flow.blobs,
    events: flow.events,
    engine,
    model: FAKE_MODEL,
    settings: {
      leaseSeconds: 30,
      maxAttempts: 3,
      progressIntervalMs: 500,
      backoffSeconds: (attempt) => backoffSeconds(attempt, () => 0.5),
      ...settings,
    },
  };
}

describe('processLease', () => {
  it('runs a queued job: running, output stored, succeeded with metrics, events, ack', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine({ stepMs: 20 });
    const { job } = await flow.submit();
    const { lease, calls } = spyLease(await flow.receive());

    const result = await processLease(lease, deps(flow, engine));

    const record = await flow.record(job.id);
    expect(result).toEqual({ jobId: job.id, outcome: 'succeeded', attempt: 1 });
    expect(record).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      output: { key: `outputs/${job.id}.png`, width: 32, height: 24, format: 'png' },
      progress: { step: 4, steps: 4 },
      model: { name: 'fake-vibe', version: '0.0.1', synthetic: true },
      error: null,
    });
    expect(record.timestamps.startedAt).not.toBeNull();
    expect(record.timestamps.completedAt).not.toBeNull();
    expect(record.metrics?.inferenceMs).toBeGreaterThanOrEqual(75);
    expect(record.metrics?.totalMs).toBeGreaterThanOrEqual(record.metrics?.inferenceMs ?? 0);
    const stored = await flow.blobs.get(`outputs/${job.id}.png`);
    expect(Buffer.from(stored.body).equals(await samplePng(32, 24))).toBe(true);
    expect(stored.contentType).toBe('image/png');
    expect(engine.requests[0]).toMatchObject({
      instruction: 'make it winter',
      steps: 4,
      seed: 7,
      output: { format: 'png' },
    });
    const events = await flow.drainEvents();
    expect(events.map((e) => [e.type, e.id])).toEqual([
      ['edit.running', jobEventId(job.id, 2)],
      ['edit.succeeded', jobEventId(job.id, record.version)],
    ]);
    expect(calls).toMatchObject({ ack: 1, release: [] });
    expect(await flow.queues.interactive.depth()).toEqual({ visible: 0, hidden: 0 });
  });

  it('fails a job with a permanent error at once, with its code and message, and acks', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine({
      failWith: () =>
        new ValidationError(
          'INVALID_IMAGE',
          'Expected a JPEG, PNG or WebP image but the bytes do not decode',
        ),
    });
    const { job } = await flow.submit();
    const { lease, calls } = spyLease(await flow.receive());

    const result = await processLease(lease, deps(flow, engine));

    expect(result).toMatchObject({ outcome: 'failed', error: { code: 'INVALID_IMAGE' } });
    expect(await flow.record(job.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      output: null,
      error: {
        code: 'INVALID_IMAGE',
        message: 'Expected a JPEG, PNG or WebP image but the bytes do not decode',
      },
    });
    expect(engine.requests).toHaveLength(1);
    expect(calls).toMatchObject({ ack: 1, release: [] });
    expect(await flow.outputs()).toEqual([]);
    expect((await flow.drainEvents()).map((e) => e.type)).toEqual(['edit.running', 'edit.failed']);
  });

  it('retries a retryable failure with backoff, then fails it at maxAttempts before the dead-letter queue', async () => {
    let now = Date.now();
    const flow = createFlow(newDir(), { maxReceiveCount: 4, now: () => now });
    const engine = new FakeEngine({
      failWith: (call) =>
        new InferenceError(`The inference thread died during the job (call ${call})`, {
          retryable: true,
        }),
    });
    const { job } = await flow.submit();
    const settings = deps(flow, engine);
    const results = [];
    const releases: number[][] = [];
    const invisibleDuringBackoff: number[] = [];

    for (let delivery = 1; delivery <= 3; delivery++) {
      const { lease, calls } = spyLease(await flow.receive());
      results.push(await processLease(lease, settings));
      releases.push(calls.release);
      const delay = calls.release[0];
      if (delay !== undefined) {
        now += (delay - 1) * 1000;
        invisibleDuringBackoff.push((await flow.queues.interactive.depth()).visible);
        now += 1000;
      }
    }

    expect(results.map((r) => [r.outcome, r.attempt, r.delaySeconds])).toEqual([
      ['retried', 1, 4],
      ['retried', 2, 8],
      ['failed', 3, undefined],
    ]);
    expect(releases).toEqual([[4], [8], []]);
    expect(invisibleDuringBackoff).toEqual([0, 0]);
    expect(await flow.record(job.id)).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: {
        code: 'INFERENCE_FAILED',
        message: 'The inference thread died during the job (call 3) (attempt 3 of 3; not retrying)',
      },
    });
    expect(engine.requests).toHaveLength(3);
    expect(await flow.queues.interactive.depth()).toEqual({ visible: 0, hidden: 0 });
    expect(await flow.deadLetters.interactive.depth()).toEqual({ visible: 0, hidden: 0 });
    expect((await flow.drainEvents()).map((e) => e.type)).toEqual([
      'edit.running',
      'edit.queued',
      'edit.running',
      'edit.queued',
      'edit.running',
      'edit.failed',
    ]);
  });

  it('acks a job canceled while queued without running it', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine();
    const { job } = await flow.submit();
    const canceled = await flow.store.update(job.id, (current) => ({
      ...current,
      status: 'canceled',
      timestamps: { ...current.timestamps, completedAt: new Date().toISOString() },
    }));
    const { lease, calls } = spyLease(await flow.receive());

    const result = await processLease(lease, deps(flow, engine));

    expect(result.outcome).toBe('skipped');
    expect(engine.requests).toHaveLength(0);
    expect(calls.ack).toBe(1);
    expect(await flow.record(job.id)).toEqual(canceled);
    // The terminal event again, with the id the API's transition has: receivers deduplicate.
    expect((await flow.drainEvents()).map((e) => [e.type, e.id])).toEqual([
      ['edit.canceled', jobEventId(job.id, 2)],
    ]);
  });

  it('stops a job canceled while running at its next step: canceled, no output, acked', async () => {
    const flow = createFlow(newDir());
    const { job } = await flow.submit({
      parameters: {
        steps: 20,
        guidanceScale: 4.5,
        imageGuidanceScale: 1.2,
        seed: 1,
        sizeMode: 'aligned',
        output: { format: 'png' },
      },
    });
    const engine = new FakeEngine({
      stepMs: 20,
      onStep: async (step) => {
        if (step !== 3) return;
        // The API's cancel of a running job.
        await flow.store.update(job.id, (current) => ({ ...current, status: 'canceled' }));
      },
    });
    const { lease, calls } = spyLease(await flow.receive());

    const result = await processLease(lease, deps(flow, engine, { progressIntervalMs: 0 }));
    await new Promise((resolve) => setTimeout(resolve, 60));

    expect(result.outcome).toBe('canceled');
    expect((await flow.record(job.id)).status).toBe('canceled');
    expect(engine.stepsDone[0]).toBeGreaterThanOrEqual(3);
    expect(engine.stepsDone[0]).toBeLessThanOrEqual(5);
    expect(await flow.outputs()).toEqual([]);
    expect(calls).toMatchObject({ ack: 1, release: [] });
  });

  it('expires a job whose deadline passed before it started, without running it', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine();
    const { job } = await flow.submit({ deadline: new Date(Date.now() - 1000).toISOString() });
    const { lease, calls } = spyLease(await flow.receive());

    const result = await processLease(lease, deps(flow, engine));

    expect(result.outcome).toBe('expired');
    expect(engine.requests).toHaveLength(0);
    const record = await flow.record(job.id);
    expect(record).toMatchObject({ status: 'expired', attempts: 0, output: null });
    expect(record.timestamps.completedAt).not.toBeNull();
    expect(calls.ack).toBe(1);
    expect((await flow.drainEvents()).map((e) => e.type)).toEqual(['edit.expired']);
  });

  it('acks a duplicate delivery of a succeeded job without running it again (one output)', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine();
    const { job, message } = await flow.submit();
    await processLease(await flow.receive(), deps(flow, engine));
    const first = await flow.record(job.id);
    await flow.queues.interactive.send(message);
    const { lease, calls } = spyLease(await flow.receive());

    const result = await processLease(lease, deps(flow, engine));

    expect(result.outcome).toBe('skipped');
    expect(engine.requests).toHaveLength(1);
    expect(calls.ack).toBe(1);
    expect(await flow.record(job.id)).toEqual(first);
    expect(await flow.outputs()).toEqual([`outputs/${job.id}.png`]);
    const succeededEvents = (await flow.drainEvents()).filter((e) => e.type === 'edit.succeeded');
    expect(succeededEvents.map((e) => e.id)).toEqual([
      jobEventId(job.id, first.version),
      jobEventId(job.id, first.version),
    ]);
  });

  it('re-runs a job whose previous worker died mid-run (record still running)', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine();
    const { job } = await flow.submit();
    // The first worker marked it running, then died; its lease ran out.
    await flow.store.update(job.id, (current) => ({ ...current, status: 'running', attempts: 1 }));
    const lease = await flow.receive('interactive', 1);
    await lease.release(0);
    const second = await flow.receive();

    const result = await processLease(second, deps(flow, engine));

    expect(result).toMatchObject({ outcome: 'succeeded', attempt: 2 });
    expect(await flow.record(job.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('fails, without running it, a job whose workers died maxAttempts times', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine();
    const { job } = await flow.submit();
    await flow.store.update(job.id, (current) => ({ ...current, status: 'running', attempts: 3 }));
    const { lease, calls } = spyLease(await flow.receive());

    const result = await processLease(lease, deps(flow, engine, { maxAttempts: 3 }));

    expect(result.outcome).toBe('failed');
    expect(engine.requests).toHaveLength(0);
    expect(calls.ack).toBe(1);
    expect(await flow.record(job.id)).toMatchObject({
      status: 'failed',
      error: {
        code: 'INFERENCE_FAILED',
        message: `Expected job ${job.id} to finish within 3 attempts but its worker stopped without a result 3 times (the lease ran out each time); not retrying`,
      },
    });
  });

  it('extends the lease every half lease while the job runs', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine({ stepMs: 130 });
    await flow.submit({
      parameters: {
        steps: 10,
        guidanceScale: 4.5,
        imageGuidanceScale: 1.2,
        seed: 1,
        sizeMode: 'aligned',
        output: { format: 'png' },
      },
    });
    const { lease, calls } = spyLease(await flow.receive('interactive', 1));

    const result = await processLease(lease, deps(flow, engine, { leaseSeconds: 1 }));

    // 1.3 s of steps with a 1 s lease: beats at 0.5 s, 1.0 s (and 1.5 s on a slow machine).
    expect(result.outcome).toBe('succeeded');
    expect(calls.extend.length).toBeGreaterThanOrEqual(2);
    expect(calls.extend.every((seconds) => seconds === 1)).toBe(true);
    expect(calls.ack).toBe(1);
  });

  it('stops a job whose lease was lost, writing no result and not acking', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine({ stepMs: 50 });
    const { job } = await flow.submit({
      parameters: {
        steps: 40,
        guidanceScale: 4.5,
        imageGuidanceScale: 1.2,
        seed: 1,
        sizeMode: 'aligned',
        output: { format: 'png' },
      },
    });
    const { lease, calls } = spyLease(await flow.receive('interactive', 1), {
      extend: async () => {
        throw new ConflictError('Expected to hold the lease on the message but it was lost');
      },
    });

    const result = await processLease(lease, deps(flow, engine, { leaseSeconds: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 120));

    expect(result.outcome).toBe('lease-lost');
    expect(calls).toMatchObject({ ack: 0, release: [] });
    expect(engine.stepsDone[0]).toBeLessThan(20);
    expect((await flow.record(job.id)).status).toBe('running');
    expect(await flow.outputs()).toEqual([]);
  });

  it('bounds the progress writes (at most one per interval plus the last)', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine({ stepMs: 10 });
    const { job } = await flow.submit({
      parameters: {
        steps: 50,
        guidanceScale: 4.5,
        imageGuidanceScale: 1.2,
        seed: 1,
        sizeMode: 'aligned',
        output: { format: 'png' },
      },
    });
    const started = Date.now();

    await processLease(await flow.receive(), deps(flow, engine, { progressIntervalMs: 100 }));

    const elapsed = Date.now() - started;
    const record = await flow.record(job.id);
    // Versions: 1 create, 2 running, then the progress writes, then succeeded.
    const progressWrites = record.version - 3;
    expect(progressWrites).toBeGreaterThanOrEqual(2);
    expect(progressWrites).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);
    expect(record.progress).toEqual({ step: 50, steps: 50 });
  });

  it('gives the message back with backoff, record untouched, when the store is down', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine();
    const { job } = await flow.submit();
    const { lease, calls } = spyLease(await flow.receive());
    const down = {
      ...deps(flow, engine),
      store: {
        ...flow.store,
        get: async () => {
          throw new DependencyError('S3 GetObject (job) failed: connect ECONNREFUSED');
        },
        create: flow.store.create.bind(flow.store),
        update: flow.store.update.bind(flow.store),
      },
    };

    const result = await processLease(lease, down);

    expect(result).toMatchObject({ outcome: 'retried', delaySeconds: 4 });
    expect(calls.release).toEqual([4]);
    expect(await flow.record(job.id)).toEqual(job);
  });

  it('fails a job whose input blob is gone (permanent: NOT_FOUND)', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine();
    const { job } = await flow.submit();
    await flow.blobs.delete(job.input.key);

    const result = await processLease(await flow.receive(), deps(flow, engine));

    expect(result.outcome).toBe('failed');
    expect((await flow.record(job.id)).error?.code).toBe('NOT_FOUND');
    expect(engine.requests).toHaveLength(0);
  });

  it('releases instead of acking when the terminal event cannot be published', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine();
    const { job } = await flow.submit();
    const { lease, calls } = spyLease(await flow.receive());
    const flaky = {
      ...deps(flow, engine, { backoffSeconds: () => 0 }),
      events: {
        receive: flow.events.receive.bind(flow.events),
        publish: async (event: Parameters<typeof flow.events.publish>[0]) => {
          if (event.type === 'edit.succeeded') throw new DependencyError('SQS SendMessage failed');
          await flow.events.publish(event);
        },
      },
    };

    const result = await processLease(lease, flaky);
    const again: Lease<JobMessage> = await flow.receive();
    const second = await processLease(again, deps(flow, engine));

    expect(result.outcome).toBe('succeeded');
    expect(calls).toMatchObject({ ack: 0, release: [0] });
    expect(second.outcome).toBe('skipped');
    expect(engine.requests).toHaveLength(1);
    expect((await flow.drainEvents()).map((e) => e.type)).toEqual([
      'edit.running',
      'edit.succeeded',
    ]);
    expect((await flow.record(job.id)).status).toBe('succeeded');
  });

  it('treats an unexpected (non-AppError) failure as retryable with code INTERNAL', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine({ failWith: () => new TypeError('x is not a function') });
    const { job } = await flow.submit();

    const result = await processLease(await flow.receive(), deps(flow, engine));

    expect(result).toMatchObject({
      outcome: 'retried',
      error: { code: 'INTERNAL', message: 'Unexpected TypeError: x is not a function' },
    });
    expect(await flow.record(job.id)).toMatchObject({ status: 'queued', attempts: 2 });
  });

  it('acks a message whose job record does not exist', async () => {
    const flow = createFlow(newDir());
    const engine = new FakeEngine();
    await flow.queues.interactive.send({
      v: 1,
      jobId: 'job_missing',
      lane: 'interactive',
      traceId: 't',
    });
    const { lease, calls } = spyLease(await flow.receive());

    const result = await processLease(lease, deps(flow, engine));

    expect(result.outcome).toBe('skipped');
    expect(calls.ack).toBe(1);
    expect(engine.requests).toHaveLength(0);
    await expect(flow.blobs.get('outputs/job_missing.png')).rejects.toBeInstanceOf(NotFoundError);
  });
});
