import { describe, expect, it } from 'vitest';
import { overridesFromContext } from '../lib/context-overrides.ts';
import { planLane, wakeSteps, wakeTasks } from '../lib/lane-plan.ts';
import { resolveSettings } from '../lib/service-settings.ts';

describe('resolveSettings', () => {
  it('derives visibility, heartbeat, retries and stop timeout of every lane from one settings object', () => {
    const { plans, lanes } = resolveSettings();

    for (const name of ['interactive', 'batch'] as const) {
      const plan = plans[name];
      expect(plan.queue.visibilityTimeoutSeconds).toBe(lanes[name].leaseSeconds);
      expect(plan.worker.leaseSeconds).toBe(lanes[name].leaseSeconds);
      expect(plan.worker.heartbeatSeconds).toBe(Math.floor(lanes[name].leaseSeconds / 2));
      expect(plan.worker.maxAttempts).toBeLessThan(plan.queue.maxReceiveCount);
      expect(plan.worker.stopTimeoutSeconds).toBeGreaterThanOrEqual(plan.worker.drainSeconds + 5);
      expect(plan.worker.drainSeconds).toBeGreaterThanOrEqual(plan.service.px2048Seconds);
    }
    expect(plans.batch.worker.stopTimeoutSeconds).toBeLessThanOrEqual(110);
  });

  it('computes the backlog target from the per-image time and the latency goal', () => {
    const { plans } = resolveSettings();

    // H100: 0.75 * (1.15 + 0.25) + 0.25 * (4.08 + 0.25) = 2.1325 s; floor(20 / 2.1325) - 1 = 8.
    expect(plans.interactive.service.typicalSeconds).toBeCloseTo(2.1325, 10);
    expect(plans.interactive.scaling.backlogPerTaskTarget).toBe(8);
    // L4 (4.5x): 0.75 * 5.425 + 0.25 * 18.61 = 8.72125 s; floor(900 / 8.72125) - 1 = 102.
    expect(plans.batch.service.typicalSeconds).toBeCloseTo(8.72125, 10);
    expect(plans.batch.scaling.backlogPerTaskTarget).toBe(102);
  });

  it('gives only a scale-to-zero lane wake-up steps and room for a rolling deployment', () => {
    const { plans } = resolveSettings();

    expect(plans.interactive.scaling.wakeSteps).toEqual([]);
    expect(plans.batch.scaling.wakeSteps.at(0)).toEqual({ visibleAtLeast: 1, tasks: 1 });
    expect(plans.batch.capacity).toEqual({ minInstances: 0, maxInstances: 64 });
    expect(plans.interactive.capacity).toEqual({ minInstances: 2, maxInstances: 16 });
  });

  it('applies overrides and keeps the derived values consistent with them', () => {
    const { plans } = resolveSettings({
      lanes: { interactive: { leaseSeconds: 90, maxTasks: 12 } },
    });

    expect(plans.interactive.queue.visibilityTimeoutSeconds).toBe(90);
    expect(plans.interactive.worker.heartbeatSeconds).toBe(45);
    expect(plans.interactive.scaling.maxTasks).toBe(12);
    expect(plans.batch.worker.leaseSeconds).toBe(120);
  });

  it.each([
    [{ lanes: { batch: { maxAttempts: 5 } } }, 'lanes.batch.maxReceiveCount'],
    [{ lanes: { batch: { maxReceiveCount: 3 } } }, 'lanes.batch.maxReceiveCount'],
    [{ lanes: { interactive: { drainSeconds: 3 } } }, 'lanes.interactive.drainSeconds'],
    [
      { lanes: { interactive: { stopTimeoutSeconds: 32 } } },
      'lanes.interactive.stopTimeoutSeconds',
    ],
    [
      { lanes: { batch: { drainSeconds: 100, stopTimeoutSeconds: 115 } } },
      'lanes.batch.stopTimeoutSeconds',
    ],
    [{ lanes: { interactive: { latencyGoalSeconds: 4 } } }, 'lanes.interactive.latencyGoalSeconds'],
    [{ lanes: { batch: { minTasks: 8, maxTasks: 4 } } }, 'lanes.batch.maxTasks'],
    [
      { lanes: { batch: { oldestMessageAlarmSeconds: 600 } } },
      'lanes.batch.oldestMessageAlarmSeconds',
    ],
    [{ lanes: { interactive: { leaseSeconds: 10 } } }, 'lanes.interactive.leaseSeconds'],
    [{ storage: { jobRecordsExpireDays: 7 } }, 'storage.jobRecordsExpireDays'],
    [{ events: { visibilityTimeoutSeconds: 60 } }, 'events.visibilityTimeoutSeconds'],
    [{ api: { domainName: 'edit.example.com' } }, 'api.certificateArn'],
    [{ network: { maxAzs: 3 } }, 'network.maxAzs'],
  ])('refuses %j naming %s', (overrides, setting) => {
    expect(() => resolveSettings(overrides)).toThrow(`Invalid setting "${setting}"`);
    expect(() => resolveSettings(overrides)).toThrowError(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        details: expect.objectContaining({ setting }),
      }),
    );
  });

  it('refuses an unknown setting so a typo cannot pass silently', () => {
    expect(() => resolveSettings({ lanes: { batch: { maxTask: 5 } } })).toThrow(
      /lanes\.batch.*maxTask/,
    );
  });
});

describe('planLane', () => {
  it('lets a spot lane keep a stop timeout inside the 2-minute notice only', () => {
    const settings = resolveSettings();
    const lane = { ...settings.lanes.batch, drainSeconds: 100, stopTimeoutSeconds: 110 };

    const plan = planLane('batch', lane, settings.gpuClasses.l4, settings.workload);

    expect(plan.worker.stopTimeoutSeconds).toBe(110);
    expect(() =>
      planLane(
        'batch',
        { ...lane, stopTimeoutSeconds: 111 },
        settings.gpuClasses.l4,
        settings.workload,
      ),
    ).toThrow(/lanes\.batch\.stopTimeoutSeconds.*at most 110/);
  });
});

describe('wakeSteps', () => {
  it('doubles the task count at the backlog target tracking would ask for', () => {
    expect(wakeSteps(102, 32)).toEqual([
      { visibleAtLeast: 1, tasks: 1 },
      { visibleAtLeast: 103, tasks: 2 },
      { visibleAtLeast: 307, tasks: 4 },
      { visibleAtLeast: 715, tasks: 8 },
      { visibleAtLeast: 1531, tasks: 16 },
      { visibleAtLeast: 3163, tasks: 32 },
    ]);
    expect(wakeSteps(10, 1)).toEqual([{ visibleAtLeast: 1, tasks: 1 }]);
    expect(wakeSteps(10, 6)).toEqual([
      { visibleAtLeast: 1, tasks: 1 },
      { visibleAtLeast: 11, tasks: 2 },
      { visibleAtLeast: 31, tasks: 4 },
      { visibleAtLeast: 51, tasks: 6 },
    ]);
  });

  it('maps a backlog to the tasks of the highest step reached', () => {
    const steps = wakeSteps(102, 32);

    expect(wakeTasks(steps, 0)).toBe(0);
    expect(wakeTasks(steps, 1)).toBe(1);
    expect(wakeTasks(steps, 306)).toBe(2);
    expect(wakeTasks(steps, 10_000)).toBe(32);
  });
});

describe('overridesFromContext', () => {
  it('merges the vibe object and dotted keys, parsing JSON values', () => {
    const overrides = overridesFromContext({
      vibe: { lanes: { batch: { maxTasks: 8 } } },
      'vibe.lanes.batch.spot': 'false',
      'vibe.gpuClasses.l4.instanceTypes': '["g6.4xlarge"]',
      'vibe.api.domainName': 'edit.example.com',
      '@aws-cdk/core:someFlag': true,
    });

    expect(overrides).toEqual({
      lanes: { batch: { maxTasks: 8, spot: false } },
      gpuClasses: { l4: { instanceTypes: ['g6.4xlarge'] } },
      api: { domainName: 'edit.example.com' },
    });
  });

  it('refuses a path that is not a setting name', () => {
    expect(() => overridesFromContext({ 'vibe.lanes..maxTasks': '3' })).toThrow(/dotted path/);
    expect(() => overridesFromContext({ 'vibe.__proto__.x': '3' })).toThrow(/dotted path/);
  });
});
