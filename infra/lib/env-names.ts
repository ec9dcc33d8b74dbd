/**
 * Environment variable names that the stack sets on the API Lambda, the webhook Lambda and the GPU
 * worker. One map, so the names cannot drift between the infrastructure and the code that reads
 * them. (To be pointed at core's list once it exists.)
 */
export const ENV_NAMES = {
  /** `aws` in every deployed component (composition roots choose adapters from it). */
  mode: 'VIBE_MODE',
  bucket: 'VIBE_BUCKET',
  queueUrlInteractive: 'VIBE_QUEUE_URL_INTERACTIVE',
  queueUrlBatch: 'VIBE_QUEUE_URL_BATCH',
  eventsQueueUrl: 'VIBE_EVENTS_QUEUE_URL',
  /** SQS visibility timeout the worker asks for on receive; equals the queue's default. */
  leaseSeconds: 'VIBE_LEASE_SECONDS',
  /** Interval of the worker's ChangeMessageVisibility heartbeat (lease / 2). */
  heartbeatSeconds: 'VIBE_HEARTBEAT_SECONDS',
  /** Attempts before the worker marks a job failed; always below the queue's maxReceiveCount. */
  maxAttempts: 'VIBE_MAX_ATTEMPTS',
  /** `s3://bucket/prefix/version/`: the folder holding manifest.json and the graph files. */
  modelS3Uri: 'VIBE_MODEL_S3_URI',
  /** Host-mounted folder that survives task restarts on the same instance. */
  modelCacheDir: 'VIBE_MODEL_CACHE_DIR',
  executionProvider: 'VIBE_EXECUTION_PROVIDER',
  lane: 'VIBE_LANE',
  /** Seconds the worker may spend finishing its job after SIGTERM before it releases it. */
  drainSeconds: 'VIBE_DRAIN_SECONDS',
  /** ARN of the Secrets Manager secret holding the webhook signing key (webhook Lambda only). */
  webhookSecretArn: 'VIBE_WEBHOOK_SECRET_ARN',
} as const;

export type EnvName = (typeof ENV_NAMES)[keyof typeof ENV_NAMES];
