import { type LanePlan, SCALING_BEHAVIOUR, wakeTasks } from '../lib/lane-plan.ts';

/** One one-minute datapoint as CloudWatch records it at the end of a period. */
export interface Datapoint {
  readonly time: number;
  readonly visible: number;
  readonly running: number;
  readonly desired: number;
}

/** When each policy last acted (its cooldown runs from there). */
export interface ScalingClock {
  readonly lastScaleOut: number;
  readonly lastScaleIn: number;
  readonly lastWake: number;
}

export const NEVER: ScalingClock = {
  lastScaleOut: Number.NEGATIVE_INFINITY,
  lastScaleIn: Number.NEGATIVE_INFINITY,
  lastWake: Number.NEGATIVE_INFINITY,
};

/** The metric the stack's target tracking policy computes: visible / max(running, desired). */
export function backlogPerTask(point: Datapoint): number {
  const tasks = Math.max(point.running, point.desired);
  return tasks > 0 ? point.visible / tasks : point.visible;
}

/**
 * Application Auto Scaling as the stack configures it, deciding at `now` from the datapoints
 * older than the metric lag: the wake-up step policy (no task and messages visible: the wake step
 * for the backlog), else target tracking: 3 datapoints above the target scale out to
 * `desired x metric / target`, 15 below 90% of it scale in the same way; cooldowns apply;
 * the result stays within the lane's bounds.
 */
export function decideDesired(
  plan: LanePlan,
  datapoints: readonly Datapoint[],
  now: number,
  desired: number,
  lagSeconds: number,
  clock: ScalingClock,
): { desired: number; clock: ScalingClock } {
  const { scaling } = plan;
  const available = datapoints.filter((d) => d.time <= now - lagSeconds);
  const last = available.at(-1);
  const unchanged = { desired, clock };
  if (last === undefined) return unchanged;
  const clamp = (n: number) => Math.min(scaling.maxTasks, Math.max(scaling.minTasks, n));
  const noTask = last.running === 0 && last.desired === 0 && last.visible >= 1;
  if (
    scaling.wakeSteps.length > 0 &&
    noTask &&
    now - clock.lastWake >= SCALING_BEHAVIOUR.periodSeconds
  ) {
    return {
      desired: clamp(wakeTasks(scaling.wakeSteps, last.visible)),
      clock: { ...clock, lastWake: now },
    };
  }
  const target = scaling.backlogPerTaskTarget;
  const next = clamp(Math.ceil((desired * backlogPerTask(last)) / target));
  const tail = (n: number) =>
    available.length >= n ? available.slice(-n).map(backlogPerTask) : [];
  const high = tail(SCALING_BEHAVIOUR.scaleOutEvaluationPeriods);
  if (high.length > 0 && high.every((m) => m > target)) {
    const cooled = now - clock.lastScaleOut >= scaling.scaleOutCooldownSeconds;
    return cooled && next > desired
      ? { desired: next, clock: { ...clock, lastScaleOut: now } }
      : unchanged;
  }
  const low = tail(SCALING_BEHAVIOUR.scaleInEvaluationPeriods);
  const lowThreshold = SCALING_BEHAVIOUR.scaleInThresholdRatio * target;
  if (low.length > 0 && low.every((m) => m < lowThreshold)) {
    const cooled = now - clock.lastScaleIn >= scaling.scaleInCooldownSeconds;
    return cooled && next < desired
      ? { desired: next, clock: { ...clock, lastScaleIn: now } }
      : unchanged;
  }
  return unchanged;
}
