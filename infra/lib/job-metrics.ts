/**
 * The job outcome metrics the worker publishes (as CloudWatch embedded metric format lines in its
 * log group, so no PutMetricData permission is needed). The failure-rate alarm and the dashboard
 * read these names; the worker must write exactly them.
 */
export const JOB_METRICS = {
  namespace: 'VIBE',
  /** Count, 1 per job that ended `succeeded`. */
  succeeded: 'JobsSucceeded',
  /** Count, 1 per job that ended `failed` (after its last attempt). */
  failed: 'JobsFailed',
  /** Dimension naming the lane (`interactive`, `batch`). */
  laneDimension: 'Lane',
} as const;
