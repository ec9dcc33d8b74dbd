import { describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config/parse-config.ts';
import { ValidationError } from '#core/errors.ts';
import type { JobRecord } from '#core/jobs/job-record.ts';
import { FsJobStore } from '#core/local/fs-job-store.ts';
import { jobRecordFactory } from '#core/testing/job-factory.ts';
import { JOB_METRIC_NAMES, jobMetricLine, withJobMetrics } from '#runtime/worker/job-metrics.ts';
import { startWorker } from '#runtime/worker/start-worker.ts';
import { JOB_METRICS } from '../../../infra/lib/job-metrics.ts';
import { FakeEngine } from './fake-engine.ts';
import { createFlow, useTempRoot, waitFor } from './worker-harness.ts';

const newDir = useTempRoot('job-metrics');

const UNITS = new Set(['Count', 'Milliseconds', 'Seconds', 'Bytes', 'None']);

/**
 * Parses `line` as CloudWatch embedded metric format (specification: root `_aws` with an integer
 * `Timestamp` and `CloudWatchMetrics` directives; every dimension a top-level string, every metric
 * a top-level number) and returns the root object.
 */
function parseEmf(line: string): Record<string, unknown> {
  const root = JSON.parse(line) as Record<string, unknown>;
  const aws = root._aws as { Timestamp: unknown; CloudWatchMetrics: unknown };
  expect(Number.isInteger(aws.Timestamp)).toBe(true);
  expect(Array.isArray(aws.CloudWatchMetrics)).toBe(true);
  for (const directive of aws.CloudWatchMetrics as Record<string, unknown>[]) {
    expect(typeof directive.Namespace).toBe('string');
    const dimensions = directive.Dimensions as string[][];
    expect(dimensions.length).toBeGreaterThan(0);
    for (const set of dimensions) {
      expect(set.length).toBeLessThanOrEqual(30);
      for (const name of set) expect(typeof root[name], name).toBe('string');
    }
    const metrics = directive.Metrics as { Name: string; Unit: string }[];
    expect(metrics.length).toBeLessThanOrEqual(100);
    for (const metric of metrics) {
      expect(typeof root[metric.Name], metric.Name).toBe('number');
      expect(UNITS.has(metric.Unit), metric.Unit).toBe(true);
    }
  }
  return root;
}

function record(overrides: Partial<JobRecord>): JobRecord {
  return { ...jobRecordFactory({ lane: 'batch' }), version: 3, ...overrides };
}

describe('jobMetricLine', () => {
  it('uses the names, namespace and dimension that the stack alarms on', () => {
    expect(JOB_METRIC_NAMES).toMatchObject({
      namespace: JOB_METRICS.namespace,
      succeeded: JOB_METRICS.succeeded,
      failed: JOB_METRICS.failed,
      laneDimension: JOB_METRICS.laneDimension,
    });
  });

  it('writes a succeeded job as valid EMF with both counts and both timings', () => {
    const job = record({
      id: 'job_1',
      status: 'succeeded',
      metrics: { queueMs: 1500, inferenceMs: 2130, totalMs: 3700 },
    });

    const root = parseEmf(jobMetricLine(job, 1_764_244_800_123) ?? '');

    expect(root).toEqual({
      _aws: {
        Timestamp: 1_764_244_800_123,
        CloudWatchMetrics: [
          {
            Namespace: 'VIBE',
            Dimensions: [['Lane']],
            Metrics: [
              { Name: 'JobsSucceeded', Unit: 'Count' },
              { Name: 'JobsFailed', Unit: 'Count' },
              { Name: 'InferenceMs', Unit: 'Milliseconds' },
              { Name: 'QueueMs', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      Lane: 'batch',
      JobsSucceeded: 1,
      JobsFailed: 0,
      InferenceMs: 2130,
      QueueMs: 1500,
      jobId: 'job_1',
      status: 'succeeded',
    });
  });

  it('writes a failed job with its queue time from the timestamps and no inference time', () => {
    const job = record({
      status: 'failed',
      timestamps: {
        createdAt: '2026-11-27T12:00:00.000Z',
        startedAt: '2026-11-27T12:00:04.250Z',
        completedAt: '2026-11-27T12:00:09.000Z',
      },
    });

    const root = parseEmf(jobMetricLine(job, 1) ?? '');

    expect(root).toMatchObject({ Lane: 'batch', JobsSucceeded: 0, JobsFailed: 1, QueueMs: 4250 });
    expect(root).not.toHaveProperty('InferenceMs');
  });

  it('writes nothing for jobs that did not finish or were canceled or expired', () => {
    for (const status of ['queued', 'running', 'canceled', 'expired'] as const) {
      expect(jobMetricLine(record({ status }), 1), status).toBeUndefined();
    }
  });
});

describe('withJobMetrics', () => {
  it('reports each write into succeeded or failed once, and no other write', async () => {
    const finished: JobRecord[] = [];
    const store = withJobMetrics(new FsJobStore({ root: newDir() }), (r) => finished.push(r));
    const running = (job: JobRecord): JobRecord => ({
      ...job,
      status: 'running',
      attempts: job.attempts + 1,
      timestamps: { ...job.timestamps, startedAt: new Date().toISOString() },
    });
    const a = await store.create(jobRecordFactory());
    const b = await store.create(jobRecordFactory());

    await store.update(a.id, running);
    await store.update(a.id, (job) => ({ ...job, status: 'succeeded' }));
    await expect(store.update(a.id, (job) => ({ ...job, status: 'failed' }))).rejects.toMatchObject(
      { code: 'CONFLICT' },
    );
    await store.update(b.id, running);
    await store.update(b.id, (job) => ({ ...job, status: 'failed' }));

    expect(finished.map((r) => [r.id, r.status])).toEqual([
      [a.id, 'succeeded'],
      [b.id, 'failed'],
    ]);
  });
});

describe('startWorker metrics', () => {
  it('emits one EMF line per finished job of the worker', async () => {
    const flow = createFlow(newDir());
    const lines: string[] = [];
    const engine = new FakeEngine({
      failWith: (call) =>
        call === 2 ? new ValidationError('INVALID_IMAGE', 'Expected an image') : undefined,
    });
    const running = await startWorker({
      config: parseConfig({ VIBE_DATA_DIR: flow.dir, VIBE_LANES: 'interactive' }),
      ports: flow,
      engine,
      emitMetricLine: (line) => lines.push(line),
      announce: () => {},
      settings: { idleWaitSeconds: 1 },
    });
    try {
      const ok = await flow.submit();
      await waitFor(async () => (await flow.record(ok.job.id)).status === 'succeeded');
      const bad = await flow.submit();
      await waitFor(async () => (await flow.record(bad.job.id)).status === 'failed');
      await waitFor(() => lines.length === 2);
    } finally {
      await running.close({ deadlineMs: 1_000 });
    }

    const [first, second] = lines.map((line) => {
      expect(line.endsWith('\n')).toBe(true);
      return parseEmf(line);
    });
    expect(first).toMatchObject({ Lane: 'interactive', JobsSucceeded: 1, JobsFailed: 0 });
    expect(first?.InferenceMs).toEqual(expect.any(Number));
    expect(second).toMatchObject({ Lane: 'interactive', JobsSucceeded: 0, JobsFailed: 1 });
  });
});
