/**
 * Every environment variable the service reads, declared once. Infra (the CDK stack) imports these
 * names to set the values, so a rename breaks the build instead of production. Only
 * `parseConfig` reads them.
 */
export const ENV = {
  /** `local` (disk store and queue) or `aws` (S3 and SQS). Default `local`. */
  mode: 'VIBE_MODE',
  /** Local mode: the data folder (blobs, job records, queues). Default `.vibe-data`. */
  dataDir: 'VIBE_DATA_DIR',

  /** AWS mode: the bucket for images and job records. */
  bucket: 'VIBE_BUCKET',
  /** AWS mode: the SQS queue URL of the interactive lane. */
  interactiveQueueUrl: 'VIBE_INTERACTIVE_QUEUE_URL',
  /** AWS mode: the SQS queue URL of the batch lane. */
  batchQueueUrl: 'VIBE_BATCH_QUEUE_URL',
  /** AWS mode: the SQS queue URL of job events (webhook delivery). */
  eventsQueueUrl: 'VIBE_EVENTS_QUEUE_URL',
  /**
   * AWS mode, API and batch task Lambda: the SQS queue URL of batch tasks (docs/batches.md).
   * Unset: the batch routes answer 404.
   */
  batchTasksQueueUrl: 'VIBE_BATCH_TASKS_QUEUE_URL',
  /**
   * AWS mode, API and admin CLI: `<restApiId>/<stage>` of the REST API whose usage plans enforce
   * each key's rate (docs/keys-and-limits.md). Key creation registers keys there; the API then
   * leaves the rate limit to API Gateway. Unset: the API process enforces rates itself.
   */
  apiGatewayStage: 'VIBE_API_GATEWAY_STAGE',
  /** AWS mode, optional: the region (default: the SDK's resolution, e.g. AWS_REGION). */
  awsRegion: 'VIBE_AWS_REGION',
  /** AWS mode, optional: an S3/SQS emulator endpoint, e.g. `http://127.0.0.1:4566`. */
  awsEndpointUrl: 'VIBE_AWS_ENDPOINT_URL',

  /** Worker: lanes to poll, comma-separated. Default `interactive,batch`. */
  lanes: 'VIBE_LANES',
  /** Worker: lease (visibility timeout) per received job, seconds; heartbeat at half. Default 60. */
  leaseSeconds: 'VIBE_LEASE_SECONDS',
  /** Worker: attempts before a retryable failure fails the job. Must be below maxReceiveCount. Default 3. */
  maxAttempts: 'VIBE_MAX_ATTEMPTS',
  /** The lane queues' redrive maxReceiveCount (set by infra; the local queue uses it). Default 5. */
  maxReceiveCount: 'VIBE_MAX_RECEIVE_COUNT',
  /** Worker: seconds to finish the current job after SIGTERM before releasing it. Default 110. */
  shutdownGraceSeconds: 'VIBE_SHUTDOWN_GRACE_SECONDS',
  /** Worker: the model bundle folder. Unset: the tiny test bundle (the log and jobs say so). */
  bundleDir: 'VIBE_BUNDLE_DIR',
  /** Worker: `cpu` or `cuda`. Default `cpu`. */
  executionProvider: 'VIBE_EXECUTION_PROVIDER',
  /**
   * Worker, aws mode: `s3://bucket/prefix/version/`, the folder holding the bundle's manifest.json.
   * The worker downloads it into VIBE_MODEL_CACHE_DIR and loads it from there.
   */
  modelS3Uri: 'VIBE_MODEL_S3_URI',
  /** Worker, aws mode: the bundle cache shared by a host's tasks; required with VIBE_MODEL_S3_URI. */
  modelCacheDir: 'VIBE_MODEL_CACHE_DIR',
  /** Worker: a file touched at least every 15 s while the process lives (container health check). */
  healthFile: 'VIBE_HEALTH_FILE',

  /** Local server: listen address. Default `127.0.0.1`. */
  host: 'VIBE_HOST',
  /** Local server: port. Default 8787. */
  port: 'VIBE_PORT',
  /** Local mode: the base URL in signed blob URLs. Default `http://<host>:<port>`. */
  publicBaseUrl: 'VIBE_PUBLIC_BASE_URL',
  /** Local mode: HMAC key of signed blob URLs (≥ 32 characters). Unset: a random key per start. */
  urlSigningSecret: 'VIBE_URL_SIGNING_SECRET',
  /** API: lifetime of presigned URLs, seconds. Default 900. */
  signedUrlTtlSeconds: 'VIBE_SIGNED_URL_TTL_SECONDS',
  /** API: largest accepted image upload, bytes. Default 20 MiB. */
  maxUploadBytes: 'VIBE_MAX_UPLOAD_BYTES',

  /** Local mode: the webhook signing secret (Standard Webhooks `whsec_…`). */
  webhookSecret: 'VIBE_WEBHOOK_SECRET',
  /** AWS mode: the Secrets Manager ARN of the webhook signing secret. */
  webhookSecretArn: 'VIBE_WEBHOOK_SECRET_ARN',

  /**
   * API: `required` (every `/v1` request needs `Authorization: Bearer vibe_…`) or `disabled` (jobs
   * belong to `anonymous`). Default `required` (docs/keys-and-limits.md).
   */
  auth: 'VIBE_AUTH',

  /**
   * API: `on` serves the playground page at `/playground` (functions/src/playground), `off` answers
   * 404 there. Default `on` in local mode, `off` in aws mode (docs/playground.md).
   */
  playground: 'VIBE_PLAYGROUND',

  /** `debug`, `info`, `warn` or `error`. Default `info`. */
  logLevel: 'VIBE_LOG_LEVEL',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
