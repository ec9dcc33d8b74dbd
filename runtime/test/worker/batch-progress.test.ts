import { describe, expect, it } from 'vitest';
import type { BatchTracker, JobState } from '#core/batches/batch-tracker.ts';
import { ConflictError, DependencyError, ValidationError } from '#core/errors.ts';
import { type JobEvent, jobEventFor } from '#core/jobs/job-event.ts';
import type { EventQueue } from '#core/ports.ts';
import { jobRecordFactory } from '#core/testing/job-factory.ts';
import { withBatchProgress } from '#runtime/worker/batch-progress.ts';
import type { WorkerLog } from '#runtime/worker/worker-log.ts';

const BATCH = 'bat_0123456789abcdef0123456789abcdef';

function event(overrides: { batchId?: string | null; type?: JobEvent['type'] } = {}): JobEvent {
  const record = {
    ...jobRecordFactory({
      id: `${BATCH}-3`,
      batchId: overrides.batchId === undefined ? BATCH : overrides.batchId,
    }),
    status: 'running' as const,
    version: 2,
  };
  const built = jobEventFor(record, new Date('2026-11-27T12:00:00.000Z'));
  return overrides.type === undefined ? built : { ...built, type: overrides.type };
}

function setUp(fail?: unknown) {
  const recorded: JobState[] = [];
  const published: JobEvent[] = [];
  const errors: string[] = [];
  const tracker = {
    recordJob: async (job: JobState) => {
      if (fail !== undefined) throw fail;
      recorded.push(job);
      return undefined;
    },
  } as unknown as BatchTracker;
  const inner: EventQueue = {
    publish: async (e) => {
      published.push(e);
    },
    receive: async () => [],
  };
  const log: WorkerLog = {
    debug() {},
    info() {},
    warn() {},
    error: (message) => errors.push(message),
  };
  return { events: withBatchProgress(inner, tracker, log), recorded, published, errors };
}

describe('withBatchProgress', () => {
  it('records the state of a batch job in its batch before publishing its event', async () => {
    const t = setUp();
    const e = event();

    await t.events.publish(e);

    expect(t.recorded).toEqual([e.job]);
    expect(t.published).toEqual([e]);
  });

  it('leaves jobs without a batch and progress events alone', async () => {
    const t = setUp();

    await t.events.publish(event({ batchId: null }));
    await t.events.publish(event({ type: 'edit.progress' }));

    expect(t.recorded).toEqual([]);
    expect(t.published).toHaveLength(2);
  });

  it('fails the publish when the batch cannot be written now, so the worker keeps the message', async () => {
    for (const failure of [new DependencyError('store down'), new ConflictError('lost races')]) {
      const t = setUp(failure);

      await expect(t.events.publish(event())).rejects.toBe(failure);
      expect(t.published).toEqual([]);
    }
  });

  it('logs any other tracking failure and still publishes the job event', async () => {
    const t = setUp(new ValidationError('INVALID_ARGUMENT', 'a bug'));

    await t.events.publish(event());

    expect(t.published).toHaveLength(1);
    expect(t.errors).toEqual([
      'could not record the job in its batch; publishing its event anyway',
    ]);
  });
});
