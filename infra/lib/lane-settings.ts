import { z } from 'zod';
import { GPU_CLASS_NAMES, type GpuClassName } from './gpu-classes.ts';

/** The lanes (core's LANES; kept here so infra synthesises without the rest of the tree). */
export const LANE_NAMES = ['interactive', 'batch'] as const;
export type LaneName = (typeof LANE_NAMES)[number];

/**
 * The one settings object of a lane. The queue's visibility timeout, the worker's lease and
 * heartbeat, its retry limit, the dead-letter receive count, the stop timeout and the scaling
 * target are all derived from these fields by `planLane` (lane-plan.ts), which refuses
 * combinations that contradict each other.
 */
export interface LaneSettings {
  /** GPU class of the lane's hosts. */
  readonly gpuClass: GpuClassName;
  /**
   * Time-to-result the lane aims for once scaled out, seconds. The backlog-per-task target is
   * derived from it and the GPU's per-image time.
   */
  readonly latencyGoalSeconds: number;
  /** Tasks kept running when idle; 0 scales to zero and wakes on the first message. */
  readonly minTasks: number;
  readonly maxTasks: number;
  /**
   * The worker's lease on a message = the queue's visibility timeout. The worker heartbeats at
   * half of it, so a dead worker's job is retried after at most this long.
   */
  readonly leaseSeconds: number;
  /** Attempts before the worker marks a job failed (retryable errors only). */
  readonly maxAttempts: number;
  /**
   * Receives before SQS moves a message to the dead-letter queue. Must exceed `maxAttempts`, so
   * that a job is marked failed before its message is dead-lettered (DESIGN §8).
   */
  readonly maxReceiveCount: number;
  /** Seconds the worker may take to finish its job after SIGTERM before releasing it. */
  readonly drainSeconds: number;
  /** ECS stop timeout: SIGTERM to SIGKILL. At least the drain plus a margin for release and exit. */
  readonly stopTimeoutSeconds: number;
  readonly scaleOutCooldownSeconds: number;
  readonly scaleInCooldownSeconds: number;
  /** Run the lane's hosts on spot capacity (interruption: 2-minute notice, then managed drain). */
  readonly spot: boolean;
  /** How long SQS keeps an unreceived message, days (1 to 14). */
  readonly messageRetentionDays: number;
  /** Alarm when the oldest message of the lane is older than this, seconds. */
  readonly oldestMessageAlarmSeconds: number;
}

/**
 * Defaults, chosen with the scaling simulator (docs/scaling.md):
 * - interactive: H100 on demand, 20 s goal, two warm tasks. One warm task oscillates under a
 *   steady 30 edits/min (each scale-out waits ~8 min for a cold host, the backlog piles up, the
 *   lane overshoots to 8 tasks) and ends up dearer per image than two.
 * - batch: L4 on spot, scales to zero, 15 min goal. The goal barely moves the cost per image
 *   (hosts stay ~80-90% busy either way) but a 1 h goal stretches a 10,000-job dump to 3 h.
 * - scale-out cooldown 180 s = one period plus the metric lag plus one period: the next decision
 *   sees the tasks the last one asked for, instead of compounding on a stale task count.
 * - batch stop timeout 90 s fits the 2-minute spot notice.
 */
export const DEFAULT_LANES: Readonly<Record<LaneName, LaneSettings>> = {
  interactive: {
    gpuClass: 'h100',
    latencyGoalSeconds: 20,
    minTasks: 2,
    maxTasks: 8,
    leaseSeconds: 60,
    maxAttempts: 3,
    maxReceiveCount: 5,
    drainSeconds: 30,
    stopTimeoutSeconds: 45,
    scaleOutCooldownSeconds: 180,
    scaleInCooldownSeconds: 300,
    spot: false,
    messageRetentionDays: 4,
    oldestMessageAlarmSeconds: 300,
  },
  batch: {
    gpuClass: 'l4',
    latencyGoalSeconds: 900,
    minTasks: 0,
    maxTasks: 32,
    leaseSeconds: 120,
    maxAttempts: 3,
    maxReceiveCount: 5,
    drainSeconds: 60,
    stopTimeoutSeconds: 90,
    scaleOutCooldownSeconds: 180,
    scaleInCooldownSeconds: 600,
    spot: true,
    messageRetentionDays: 4,
    oldestMessageAlarmSeconds: 3600,
  },
};

const seconds = z.number().int().nonnegative();

/** Shape and single-field ranges; cross-field rules live in `planLane`. */
export const laneSettingsSchema = z.strictObject({
  gpuClass: z.enum(GPU_CLASS_NAMES),
  latencyGoalSeconds: z.number().positive(),
  minTasks: z.number().int().min(0),
  maxTasks: z.number().int().min(1).max(1000),
  // SQS: visibility timeout at most 12 h; below 20 s the heartbeat would run every few seconds.
  leaseSeconds: z.number().int().min(20).max(43_200),
  maxAttempts: z.number().int().min(1).max(100),
  maxReceiveCount: z.number().int().min(2).max(1000),
  drainSeconds: z.number().int().min(1),
  stopTimeoutSeconds: z.number().int().min(2),
  scaleOutCooldownSeconds: seconds.max(3600),
  scaleInCooldownSeconds: seconds.max(3600),
  spot: z.boolean(),
  messageRetentionDays: z.number().int().min(1).max(14),
  oldestMessageAlarmSeconds: z.number().int().min(60),
});
