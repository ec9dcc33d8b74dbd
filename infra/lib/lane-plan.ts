import type { GpuClassName, GpuClassProfile } from './gpu-classes.ts';
import type { LaneName, LaneSettings } from './lane-settings.ts';
import { settingsError } from './settings-error.ts';

/** What a typical job looks like, for the scaling target and the simulator. */
export interface WorkloadSettings {
  /** Share of 2048x2048 edits (the rest are 1024x1024), 0 to 1. */
  readonly share2048: number;
  /** Host-side time per job besides the model (fetch, decode, encode, store), seconds. */
  readonly perJobOverheadSeconds: number;
}

export const DEFAULT_WORKLOAD: WorkloadSettings = { share2048: 0.25, perJobOverheadSeconds: 0.25 };

/**
 * How Application Auto Scaling and ECS behave; not configurable, written down so the stack and
 * the simulator share one description:
 * - target tracking creates a high alarm of 3 one-minute datapoints and a low alarm of 15, the low
 *   one at 90% of the target;
 * - the wake-up step policy of a scale-to-zero lane alarms on one datapoint.
 */
export const SCALING_BEHAVIOUR = {
  periodSeconds: 60,
  scaleOutEvaluationPeriods: 3,
  scaleInEvaluationPeriods: 15,
  scaleInThresholdRatio: 0.9,
  wakeEvaluationPeriods: 1,
} as const;

/** Seconds between the end of the drain and SIGKILL: release the message, flush logs, exit. */
export const STOP_MARGIN_SECONDS = 5;
/** Spot gives a 2-minute notice; ECS needs some of it to start draining the instance. */
export const SPOT_STOP_TIMEOUT_LIMIT_SECONDS = 110;
/** SQS long poll used by the worker (the maximum). */
export const RECEIVE_WAIT_SECONDS = 20;
/** Dead-letter queues keep messages for the SQS maximum, longer than any source queue. */
export const DLQ_RETENTION_DAYS = 14;

/** One step of the wake-up policy: at `visibleAtLeast` messages and no running task, start `tasks`. */
export interface WakeStep {
  readonly visibleAtLeast: number;
  readonly tasks: number;
}

/** Everything derived from one lane's settings; the stack and the simulator read only this. */
export interface LanePlan {
  readonly name: LaneName;
  readonly gpuClass: GpuClassName;
  readonly gpu: GpuClassProfile;
  readonly spot: boolean;
  readonly queue: {
    readonly visibilityTimeoutSeconds: number;
    readonly maxReceiveCount: number;
    readonly retentionDays: number;
    readonly receiveWaitSeconds: number;
  };
  readonly worker: {
    readonly leaseSeconds: number;
    readonly heartbeatSeconds: number;
    readonly maxAttempts: number;
    readonly drainSeconds: number;
    readonly stopTimeoutSeconds: number;
  };
  readonly service: {
    /** Time of one job, model plus host overhead, by size and for the workload's mix. */
    readonly px1024Seconds: number;
    readonly px2048Seconds: number;
    readonly typicalSeconds: number;
  };
  readonly scaling: {
    readonly minTasks: number;
    readonly maxTasks: number;
    /** Visible messages per running task that target tracking holds. */
    readonly backlogPerTaskTarget: number;
    readonly scaleOutCooldownSeconds: number;
    readonly scaleInCooldownSeconds: number;
    /** Empty unless the lane scales to zero. Ascending in both fields. */
    readonly wakeSteps: readonly WakeStep[];
  };
  readonly capacity: {
    readonly minInstances: number;
    /** Room for `maxTasks` plus a full rolling deployment (ECS starts new tasks before stopping old ones). */
    readonly maxInstances: number;
  };
  readonly alarms: { readonly oldestMessageAgeSeconds: number };
}

/**
 * Derives a lane's plan and refuses contradictory settings with an error that names the setting.
 * @throws ValidationError (INVALID_ARGUMENT, `details.setting` = the path) on an invalid combination.
 */
export function planLane(
  name: LaneName,
  lane: LaneSettings,
  gpu: GpuClassProfile,
  workload: WorkloadSettings,
): LanePlan {
  const at = (field: keyof LaneSettings): string => `lanes.${name}.${field}`;
  const px1024Seconds = gpu.secondsPerImage.px1024 + workload.perJobOverheadSeconds;
  const px2048Seconds = gpu.secondsPerImage.px2048 + workload.perJobOverheadSeconds;
  const typicalSeconds =
    (1 - workload.share2048) * px1024Seconds + workload.share2048 * px2048Seconds;

  if (lane.maxTasks < lane.minTasks) {
    throw settingsError(
      at('maxTasks'),
      `must be at least minTasks (${lane.minTasks}) but is ${lane.maxTasks}`,
      lane.maxTasks,
    );
  }
  if (lane.maxReceiveCount <= lane.maxAttempts) {
    throw settingsError(
      at('maxReceiveCount'),
      `must be greater than maxAttempts (${lane.maxAttempts}) so a job is marked failed before its message reaches the dead-letter queue, but is ${lane.maxReceiveCount}`,
      lane.maxReceiveCount,
    );
  }
  if (lane.drainSeconds < Math.ceil(px2048Seconds)) {
    throw settingsError(
      at('drainSeconds'),
      `must be at least ${Math.ceil(px2048Seconds)} s, the time of one 2048x2048 edit on ${lane.gpuClass}, so a job in flight at SIGTERM can finish, but is ${lane.drainSeconds}`,
      lane.drainSeconds,
    );
  }
  if (lane.stopTimeoutSeconds < lane.drainSeconds + STOP_MARGIN_SECONDS) {
    throw settingsError(
      at('stopTimeoutSeconds'),
      `must be at least drainSeconds + ${STOP_MARGIN_SECONDS} (${lane.drainSeconds + STOP_MARGIN_SECONDS}) so the worker can release its message and exit before SIGKILL, but is ${lane.stopTimeoutSeconds}`,
      lane.stopTimeoutSeconds,
    );
  }
  if (lane.spot && lane.stopTimeoutSeconds > SPOT_STOP_TIMEOUT_LIMIT_SECONDS) {
    throw settingsError(
      at('stopTimeoutSeconds'),
      `must be at most ${SPOT_STOP_TIMEOUT_LIMIT_SECONDS} s on a spot lane (the interruption notice is 120 s) but is ${lane.stopTimeoutSeconds}`,
      lane.stopTimeoutSeconds,
    );
  }
  const backlogPerTaskTarget = Math.floor(lane.latencyGoalSeconds / typicalSeconds) - 1;
  if (backlogPerTaskTarget < 1) {
    throw settingsError(
      at('latencyGoalSeconds'),
      `must be at least two typical jobs on ${lane.gpuClass} (${(2 * typicalSeconds).toFixed(2)} s) to give a backlog target of 1 or more, but is ${lane.latencyGoalSeconds}`,
      lane.latencyGoalSeconds,
    );
  }
  if (lane.oldestMessageAlarmSeconds < lane.latencyGoalSeconds) {
    throw settingsError(
      at('oldestMessageAlarmSeconds'),
      `must be at least latencyGoalSeconds (${lane.latencyGoalSeconds}), or it fires in normal operation, but is ${lane.oldestMessageAlarmSeconds}`,
      lane.oldestMessageAlarmSeconds,
    );
  }

  const perInstance = gpu.gpusPerInstance;
  return {
    name,
    gpuClass: lane.gpuClass,
    gpu,
    spot: lane.spot,
    queue: {
      visibilityTimeoutSeconds: lane.leaseSeconds,
      maxReceiveCount: lane.maxReceiveCount,
      retentionDays: lane.messageRetentionDays,
      receiveWaitSeconds: RECEIVE_WAIT_SECONDS,
    },
    worker: {
      leaseSeconds: lane.leaseSeconds,
      heartbeatSeconds: Math.floor(lane.leaseSeconds / 2),
      maxAttempts: lane.maxAttempts,
      drainSeconds: lane.drainSeconds,
      stopTimeoutSeconds: lane.stopTimeoutSeconds,
    },
    service: { px1024Seconds, px2048Seconds, typicalSeconds },
    scaling: {
      minTasks: lane.minTasks,
      maxTasks: lane.maxTasks,
      backlogPerTaskTarget,
      scaleOutCooldownSeconds: lane.scaleOutCooldownSeconds,
      scaleInCooldownSeconds: lane.scaleInCooldownSeconds,
      wakeSteps: lane.minTasks === 0 ? wakeSteps(backlogPerTaskTarget, lane.maxTasks) : [],
    },
    capacity: {
      minInstances: Math.ceil(lane.minTasks / perInstance),
      maxInstances: 2 * Math.ceil(lane.maxTasks / perInstance),
    },
    alarms: { oldestMessageAgeSeconds: lane.oldestMessageAlarmSeconds },
  };
}

/**
 * Steps of the wake-up policy: with `n` tasks a backlog of `(n - 1) * target + 1` messages is what
 * target tracking would ask for, so a batch dump starts many tasks at once instead of one task that
 * must be running before target tracking can act. Task counts double (1, 2, 4, ...) up to `maxTasks`.
 */
export function wakeSteps(target: number, maxTasks: number): WakeStep[] {
  const steps: WakeStep[] = [];
  for (let tasks = 1; tasks < maxTasks; tasks *= 2) {
    steps.push({ visibleAtLeast: (tasks - 1) * target + 1, tasks });
  }
  steps.push({ visibleAtLeast: (maxTasks - 1) * target + 1, tasks: maxTasks });
  return steps;
}

/** Tasks the wake-up policy starts for `visible` messages when none is running. */
export function wakeTasks(steps: readonly WakeStep[], visible: number): number {
  let tasks = 0;
  for (const step of steps) {
    if (visible >= step.visibleAtLeast) tasks = step.tasks;
  }
  return tasks;
}
