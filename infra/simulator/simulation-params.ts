/**
 * What the simulator assumes about AWS beyond the stack's own settings (which come from the lane
 * plan: bounds, target, cooldowns, per-image times, instance start, image pull, bundle download
 * rate, model load, prices). Each default is an assumption to re-measure on a real deployment.
 */
export interface SimulationParams {
  /** Delay before a one-minute SQS / Container Insights datapoint can drive an alarm. */
  readonly metricLagSeconds: number;
  /** ECS capacity provider: from tasks waiting for a GPU to the EC2 launch request. */
  readonly capacityReactionSeconds: number;
  /** ECS managed scaling removes a host after this long without tasks (15 one-minute datapoints). */
  readonly instanceScaleInDelaySeconds: number;
  /** Model bundle size, bytes (download time = size / the GPU class's download rate). */
  readonly bundleBytes: number;
  /** Start with nothing running (as after a deploy or a scale-to-zero) instead of the lane's minimum warm. */
  readonly startFromZero: boolean;
  /** Stop simulating this long after the last arrival even if the fleet has not settled. */
  readonly maxTailSeconds: number;
}

export const DEFAULT_SIMULATION_PARAMS: SimulationParams = {
  metricLagSeconds: 60,
  capacityReactionSeconds: 60,
  instanceScaleInDelaySeconds: 900,
  bundleBytes: 16e9,
  startFromZero: false,
  maxTailSeconds: 6 * 3600,
};
