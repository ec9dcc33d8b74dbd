import { describe, expect, it } from 'vitest';
import { SCALING_BEHAVIOUR } from '../../lib/lane-plan.ts';
import { resolveSettings } from '../../lib/service-settings.ts';
import { makeTrace, traceOf } from '../../simulator/arrival-traces.ts';
import { simulateLane } from '../../simulator/lane-simulator.ts';
import {
  DEFAULT_SIMULATION_PARAMS,
  type SimulationParams,
} from '../../simulator/simulation-params.ts';

const settings = resolveSettings();
const interactive = settings.plans.interactive;
const batch = settings.plans.batch;
const params: SimulationParams = { ...DEFAULT_SIMULATION_PARAMS, bundleBytes: 16e9 };

describe('simulateLane', () => {
  it('takes exactly the service time for one job on an idle warm lane', () => {
    const run = simulateLane(interactive, traceOf('one', [{ arrival: 10, size: 1024 }]), params);

    expect(run.completions[0]).toBe(10 + interactive.service.px1024Seconds);
    expect(interactive.service.px1024Seconds).toBeCloseTo(1.15 + 0.25, 12);
  });

  it('queues jobs behind a busy task in arrival order', () => {
    const lane = { ...interactive, scaling: { ...interactive.scaling, minTasks: 1 } };
    const run = simulateLane(
      lane,
      traceOf('two', [
        { arrival: 0, size: 2048 },
        { arrival: 1, size: 1024 },
      ]),
      params,
    );

    expect(run.completions).toEqual([
      interactive.service.px2048Seconds,
      interactive.service.px2048Seconds + interactive.service.px1024Seconds,
    ]);
  });

  it('wakes a scale-to-zero lane: detection, capacity, host start, image, bundle, model load, then the job', () => {
    const run = simulateLane(batch, traceOf('one', [{ arrival: 0, size: 1024 }]), {
      ...params,
      startFromZero: true,
    });

    // The first datapoint (t = 60) can drive the wake-up alarm once the metric lag has passed.
    const wake = SCALING_BEHAVIOUR.periodSeconds + params.metricLagSeconds;
    const expected =
      wake +
      params.capacityReactionSeconds +
      batch.gpu.instanceStartSeconds +
      batch.gpu.imagePullSeconds +
      params.bundleBytes / batch.gpu.modelDownloadBytesPerSecond +
      batch.gpu.modelLoadSeconds +
      batch.service.px1024Seconds;
    expect(run.completions[0]).toBeCloseTo(expected, 9);
    expect(expected).toBeCloseTo(120 + 60 + 180 + 120 + 16 + 60 + 5.425, 9);
    expect(run.peakTasks).toBe(1);
  });

  it('starts a deployed lane from zero without waiting for an alarm', () => {
    const run = simulateLane(interactive, traceOf('one', [{ arrival: 0, size: 1024 }]), {
      ...params,
      startFromZero: true,
    });

    const g = interactive.gpu;
    expect(run.completions[0]).toBeCloseTo(
      params.capacityReactionSeconds +
        g.instanceStartSeconds +
        g.imagePullSeconds +
        16e9 / g.modelDownloadBytesPerSecond +
        g.modelLoadSeconds +
        interactive.service.px1024Seconds,
      9,
    );
  });

  it('bills a warm lane for its minimum hosts over the whole window', () => {
    const run = simulateLane(interactive, traceOf('one', [{ arrival: 10, size: 1024 }]), params);

    // Nothing scales: the run ends at the first period, with two warm hosts billed from t = 0.
    expect(run.endTime).toBe(60);
    expect(run.hostSeconds).toBe(2 * 60);
    expect(run.busyGpuSeconds).toBeCloseTo(interactive.service.px1024Seconds, 12);
  });

  it('finishes a 10,000-job dump without exceeding the task bound and returns to zero', () => {
    const small = {
      ...batch,
      scaling: { ...batch.scaling, maxTasks: 4 },
      capacity: { minInstances: 0, maxInstances: 8 },
    };
    const trace = makeTrace('batch-dump', 3, 0.25);

    const run = simulateLane(small, trace, { ...params, maxTailSeconds: 24 * 3600 });

    expect(run.completions.every(Number.isFinite)).toBe(true);
    // Ended because the lane settled back to zero tasks and hosts, not at the tail cap.
    expect(run.endTime).toBeLessThan(60 + 24 * 3600);
    expect(run.peakTasks).toBe(4);
    expect(run.peakHosts).toBeLessThanOrEqual(4);
    // Four L4 tasks need at least the total service time / 4.
    const work = trace.jobs.reduce(
      (sum, j) =>
        sum + (j.size === 2048 ? small.service.px2048Seconds : small.service.px1024Seconds),
      0,
    );
    expect(run.busyGpuSeconds).toBeCloseTo(work, 6);
    expect(Math.max(...run.completions)).toBeGreaterThan(work / 4);
    expect(run.hostSeconds).toBeGreaterThan(work);
  });

  it('gives the same run for the same seed', () => {
    const a = simulateLane(interactive, makeTrace('bursty', 11, 0.25), params);
    const b = simulateLane(interactive, makeTrace('bursty', 11, 0.25), params);

    expect(a).toEqual(b);
  });
});
