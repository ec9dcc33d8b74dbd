import { ENV } from '#core/config/env-names.ts';

/**
 * Environment variable names that the stack sets on the API Lambda, the webhook Lambda and the GPU
 * worker. The names the Node code reads come from core's one list (core/src/config/env-names.ts),
 * so a rename breaks the build instead of production. The container entrypoint
 * (runtime/docker/entrypoint.sh) also reads the bundle variables before the worker starts.
 */
export const ENV_NAMES = {
  /** `aws` in every deployed component (composition roots choose adapters from it). */
  mode: ENV.mode,
  bucket: ENV.bucket,
  queueUrlInteractive: ENV.interactiveQueueUrl,
  queueUrlBatch: ENV.batchQueueUrl,
  eventsQueueUrl: ENV.eventsQueueUrl,
  /** `<restApiId>/<stage>`: the usage plans key administration registers keys in (API Lambda). */
  apiGatewayStage: ENV.apiGatewayStage,
  /** `on`/`off`: whether the API serves the playground page. */
  playground: ENV.playground,
  /** The batch task queue (API and batch task Lambda; docs/batches.md). */
  batchTasksQueueUrl: ENV.batchTasksQueueUrl,
  /** SQS visibility timeout the worker asks for on receive; equals the queue's default. The
   * worker heartbeats at half of it. */
  leaseSeconds: ENV.leaseSeconds,
  /** Attempts before the worker marks a job failed; always below the queue's maxReceiveCount. */
  maxAttempts: ENV.maxAttempts,
  /** The lane queue's redrive maxReceiveCount; the worker's config refuses maxAttempts ≥ it. */
  maxReceiveCount: ENV.maxReceiveCount,
  executionProvider: ENV.executionProvider,
  /** The lanes one worker polls (one: the lane of its service). */
  lane: ENV.lanes,
  /** Seconds the worker may spend finishing its job after SIGTERM before it releases it. */
  drainSeconds: ENV.shutdownGraceSeconds,
  /** ARN of the Secrets Manager secret holding the webhook signing key (webhook Lambda only). */
  webhookSecretArn: ENV.webhookSecretArn,
  /** `s3://bucket/prefix/version/`, the folder with manifest.json and the graphs; the worker
   * downloads it (checksums verified) into the model cache. */
  modelS3Uri: ENV.modelS3Uri,
  /** Host-mounted folder that survives task restarts on the same instance; the tasks of one host
   * share it (one downloads, the others wait). */
  modelCacheDir: ENV.modelCacheDir,
} as const;

export type EnvName = (typeof ENV_NAMES)[keyof typeof ENV_NAMES];
