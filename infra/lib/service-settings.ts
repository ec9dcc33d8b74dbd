import { z } from 'zod';
import {
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_RETRY_DELAYS_SECONDS,
} from '#core/webhooks/retry-schedule.ts';
import {
  DEFAULT_GPU_CLASSES,
  type GpuClassName,
  type GpuClassProfile,
  gpuClassProfileSchema,
} from './gpu-classes.ts';
import { DEFAULT_WORKLOAD, type LanePlan, planLane, type WorkloadSettings } from './lane-plan.ts';
import {
  DEFAULT_LANES,
  type LaneName,
  type LaneSettings,
  laneSettingsSchema,
} from './lane-settings.ts';
import { settingsError } from './settings-error.ts';

/** Lifecycle of the image bucket, days after creation. */
export interface StorageSettings {
  readonly inputsExpireDays: number;
  readonly uploadsExpireDays: number;
  readonly outputsExpireDays: number;
  /** Job records; at least as long as outputs, or a finished job's output outlives its record. */
  readonly jobRecordsExpireDays: number;
  readonly batchesExpireDays: number;
  /** Idempotency records (`idempotency/`); longer than the longest Idempotency-Key lifetime. */
  readonly idempotencyExpireDays: number;
  /** Per-key quota days, active-job lists and lane tickets (`limits/`); rewritten while in use. */
  readonly limitsExpireDays: number;
  /** Origins allowed to PUT presigned uploads from a browser. */
  readonly corsAllowedOrigins: readonly string[];
}

/**
 * A usage plan: each service key in it gets these limits at the gateway, counted per key. Keys
 * join a plan when an admin creates them (`keys create --plan`, docs/keys-and-limits.md).
 */
export interface ApiTier {
  readonly name: string;
  /** Steady requests per second per key; null: only the stage's limit. */
  readonly rateLimit: number | null;
  /** Requests at once per key; null with rateLimit null. */
  readonly burstLimit: number | null;
  /** Requests per day per key, every route counted (jobs per day are a key's own limit); null: none. */
  readonly quotaPerDay: number | null;
}

export interface ApiSettings {
  readonly stageName: string;
  /** Stage-wide throttle, all keys together. */
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly tiers: readonly ApiTier[];
  /**
   * How long API Gateway reuses the authorizer's answer for one Authorization header. A revoked
   * key is refused at once all the same: revocation removes its gateway key, and the API checks
   * keys itself within its 5 s key cache.
   */
  readonly authorizerCacheSeconds: number;
  /** Serve the playground page at `/playground` (docs/playground.md). */
  readonly playground: boolean;
  readonly lambdaMemoryMiB: number;
  /** API Gateway's integration limit is 29 s. */
  readonly lambdaTimeoutSeconds: number;
  /** Custom domain; needs an ACM certificate ARN in the stack's region. */
  readonly domainName?: string;
  readonly certificateArn?: string;
}

export interface EventSettings {
  readonly lambdaTimeoutSeconds: number;
  /** Visibility of an event while a delivery runs; at least 6x the Lambda timeout (AWS guidance). */
  readonly visibilityTimeoutSeconds: number;
  /** Delivery attempts before the event goes to the webhook dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
  readonly batchSize: number;
  readonly maxConcurrency: number;
}

/** The batch task queue and its Lambda (fan-out and cancel steps, docs/batches.md). */
export interface BatchTaskSettings {
  /** Above the runner's step budget (60 s) plus one group of submissions. */
  readonly lambdaTimeoutSeconds: number;
  readonly lambdaMemoryMiB: number;
  /** Lease of a task while a step runs; at least 6x the Lambda timeout (AWS guidance). */
  readonly visibilityTimeoutSeconds: number;
  /** Attempts at a step before the task goes to its dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
  /** Records per invocation; the runner handles them one after the other, each up to a step budget. */
  readonly batchSize: number;
  readonly maxConcurrency: number;
}

export interface ModelSettings {
  /** Key prefix of bundles in the image bucket; a version is a folder below it. */
  readonly prefix: string;
  /** The bundle version the workers load; changing it rolls the services. */
  readonly version: string;
  /** Size of the bundle, bytes (for the simulator's cold start). */
  readonly bundleBytes: number;
}

export interface NetworkSettings {
  readonly maxAzs: number;
  readonly natGateways: number;
}

export interface ObservabilitySettings {
  readonly logRetentionDays: number;
  /** Receives alarm notifications when set. */
  readonly alarmEmail?: string;
  /** Alarm when this share of finished jobs failed over 15 minutes, 0 to 1. */
  readonly jobFailureRateAlarm: number;
}

/** Every deploy-time choice of the stack, with its defaults below. */
export interface ServiceSettings {
  readonly lanes: Readonly<Record<LaneName, LaneSettings>>;
  readonly gpuClasses: Readonly<Record<GpuClassName, GpuClassProfile>>;
  readonly workload: WorkloadSettings;
  readonly storage: StorageSettings;
  readonly api: ApiSettings;
  readonly events: EventSettings;
  readonly batchTasks: BatchTaskSettings;
  readonly model: ModelSettings;
  readonly network: NetworkSettings;
  readonly observability: ObservabilitySettings;
}

export const DEFAULT_SETTINGS: ServiceSettings = {
  lanes: DEFAULT_LANES,
  gpuClasses: DEFAULT_GPU_CLASSES,
  workload: DEFAULT_WORKLOAD,
  storage: {
    inputsExpireDays: 7,
    uploadsExpireDays: 1,
    outputsExpireDays: 30,
    jobRecordsExpireDays: 30,
    batchesExpireDays: 30,
    idempotencyExpireDays: 2,
    limitsExpireDays: 2,
    corsAllowedOrigins: ['*'],
  },
  api: {
    stageName: 'prod',
    rateLimit: 100,
    burstLimit: 200,
    // `standard` matches a new key's default rate (5/s, burst 10); `unmetered` is for admin and
    // internal keys, limited only by the stage.
    tiers: [
      { name: 'standard', rateLimit: 5, burstLimit: 10, quotaPerDay: 100_000 },
      { name: 'unmetered', rateLimit: null, burstLimit: null, quotaPerDay: null },
    ],
    authorizerCacheSeconds: 60,
    playground: false,
    lambdaMemoryMiB: 1024,
    lambdaTimeoutSeconds: 29,
  },
  events: {
    lambdaTimeoutSeconds: 30,
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: WEBHOOK_MAX_ATTEMPTS,
    retentionDays: 14,
    batchSize: 10,
    maxConcurrency: 10,
  },
  batchTasks: {
    lambdaTimeoutSeconds: 120,
    lambdaMemoryMiB: 1024,
    visibilityTimeoutSeconds: 720,
    maxReceiveCount: 5,
    retentionDays: 4,
    batchSize: 1,
    maxConcurrency: 10,
  },
  model: { prefix: 'models/vibe', version: 'v1', bundleBytes: 16e9 },
  network: { maxAzs: 2, natGateways: 1 },
  observability: { logRetentionDays: 30, jobFailureRateAlarm: 0.05 },
};

const days = z.number().int().min(1).max(3650);

const settingsSchema = z.strictObject({
  lanes: z.strictObject({ interactive: laneSettingsSchema, batch: laneSettingsSchema }),
  gpuClasses: z.strictObject({ h100: gpuClassProfileSchema, l4: gpuClassProfileSchema }),
  workload: z.strictObject({
    share2048: z.number().min(0).max(1),
    perJobOverheadSeconds: z.number().nonnegative(),
  }),
  storage: z.strictObject({
    inputsExpireDays: days,
    uploadsExpireDays: days,
    outputsExpireDays: days,
    jobRecordsExpireDays: days,
    batchesExpireDays: days,
    idempotencyExpireDays: days,
    limitsExpireDays: days,
    corsAllowedOrigins: z.array(z.string().min(1)).min(1),
  }),
  api: z.strictObject({
    stageName: z.string().regex(/^[A-Za-z0-9_]{1,128}$/),
    rateLimit: z.number().positive(),
    burstLimit: z.number().int().positive(),
    tiers: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
          rateLimit: z.number().positive().nullable(),
          burstLimit: z.number().int().positive().nullable(),
          quotaPerDay: z.number().int().positive().nullable(),
        }),
      )
      .min(1),
    // API Gateway allows 0 (no caching) to 3600.
    authorizerCacheSeconds: z.number().int().min(0).max(3600),
    playground: z.boolean(),
    lambdaMemoryMiB: z.number().int().min(128).max(10_240),
    lambdaTimeoutSeconds: z.number().int().min(1).max(29),
    domainName: z.string().min(3).optional(),
    certificateArn: z.string().startsWith('arn:').optional(),
  }),
  events: z.strictObject({
    lambdaTimeoutSeconds: z.number().int().min(1).max(900),
    visibilityTimeoutSeconds: z.number().int().min(1).max(43_200),
    maxReceiveCount: z.number().int().min(1).max(1000),
    retentionDays: z.number().int().min(1).max(14),
    batchSize: z.number().int().min(1).max(10),
    maxConcurrency: z.number().int().min(2).max(1000),
  }),
  batchTasks: z.strictObject({
    lambdaTimeoutSeconds: z.number().int().min(90).max(900),
    lambdaMemoryMiB: z.number().int().min(128).max(10_240),
    visibilityTimeoutSeconds: z.number().int().min(1).max(43_200),
    maxReceiveCount: z.number().int().min(2).max(1000),
    retentionDays: z.number().int().min(1).max(14),
    batchSize: z.number().int().min(1).max(10),
    maxConcurrency: z.number().int().min(2).max(1000),
  }),
  model: z.strictObject({
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'a key prefix without slashes at the ends'),
    version: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
    bundleBytes: z.number().positive(),
  }),
  network: z.strictObject({
    // The stack is env-agnostic: CloudFormation offers it two availability zones (Fn::GetAZs).
    maxAzs: z.number().int().min(1).max(2),
    natGateways: z.number().int().min(0).max(6),
  }),
  observability: z.strictObject({
    logRetentionDays: z.number().int().min(1),
    alarmEmail: z.email().optional(),
    jobFailureRateAlarm: z.number().gt(0).max(1),
  }),
});

/** Settings after validation, with every lane planned. */
export interface ResolvedSettings extends ServiceSettings {
  readonly plans: Readonly<Record<LaneName, LanePlan>>;
}

/**
 * Merges `overrides` (any subset, e.g. from CDK context) over the defaults, validates the result
 * and plans every lane. Objects merge key by key; arrays and scalars replace.
 * @throws ValidationError naming the setting's path when a value or a combination is invalid.
 */
export function resolveSettings(overrides: unknown = {}): ResolvedSettings {
  const merged = deepMerge(DEFAULT_SETTINGS, overrides);
  const parsed = settingsSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    throw settingsError(path, issue?.message ?? 'invalid value', undefined);
  }
  // The schema accepted exactly the ServiceSettings shape (strict objects, no transforms).
  const settings = merged as ServiceSettings;
  checkCombinations(settings);
  const plan = (name: LaneName): LanePlan => {
    const lane = settings.lanes[name];
    return planLane(name, lane, settings.gpuClasses[lane.gpuClass], settings.workload);
  };
  return { ...settings, plans: { interactive: plan('interactive'), batch: plan('batch') } };
}

function checkCombinations(settings: ServiceSettings): void {
  const { storage, events, api, batchTasks } = settings;
  if (storage.jobRecordsExpireDays < storage.outputsExpireDays) {
    throw settingsError(
      'storage.jobRecordsExpireDays',
      `must be at least outputsExpireDays (${storage.outputsExpireDays}) so an output is never orphaned, but is ${storage.jobRecordsExpireDays}`,
      storage.jobRecordsExpireDays,
    );
  }
  if (events.visibilityTimeoutSeconds < 6 * events.lambdaTimeoutSeconds) {
    throw settingsError(
      'events.visibilityTimeoutSeconds',
      `must be at least 6x lambdaTimeoutSeconds (${6 * events.lambdaTimeoutSeconds}) as AWS advises for SQS event sources, but is ${events.visibilityTimeoutSeconds}`,
      events.visibilityTimeoutSeconds,
    );
  }
  if (events.maxReceiveCount !== WEBHOOK_MAX_ATTEMPTS) {
    throw settingsError(
      'events.maxReceiveCount',
      `must equal the deliverer's attempts (${WEBHOOK_MAX_ATTEMPTS}): it dead-letters an event by letting its next receive pass maxReceiveCount, but is ${events.maxReceiveCount}`,
      events.maxReceiveCount,
    );
  }
  // SQS keeps a message from its first enqueue: every retry wait must fit in the retention.
  const scheduleSeconds = WEBHOOK_RETRY_DELAYS_SECONDS.reduce((sum, delay) => sum + delay, 0);
  if (events.retentionDays * 86_400 <= scheduleSeconds) {
    throw settingsError(
      'events.retentionDays',
      `must keep an event longer than the deliverer's retry schedule (${scheduleSeconds} s), but is ${events.retentionDays} days`,
      events.retentionDays,
    );
  }
  if (batchTasks.visibilityTimeoutSeconds < 6 * batchTasks.lambdaTimeoutSeconds) {
    throw settingsError(
      'batchTasks.visibilityTimeoutSeconds',
      `must be at least 6x lambdaTimeoutSeconds (${6 * batchTasks.lambdaTimeoutSeconds}) as AWS advises for SQS event sources, but is ${batchTasks.visibilityTimeoutSeconds}`,
      batchTasks.visibilityTimeoutSeconds,
    );
  }
  if ((api.domainName === undefined) !== (api.certificateArn === undefined)) {
    throw settingsError(
      api.domainName === undefined ? 'api.domainName' : 'api.certificateArn',
      'api.domainName and api.certificateArn must be given together',
      undefined,
    );
  }
  const names = api.tiers.map((tier) => tier.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) {
    throw settingsError('api.tiers', `the usage plan name "${duplicate}" appears twice`, duplicate);
  }
  for (const tier of api.tiers) {
    if ((tier.rateLimit === null) !== (tier.burstLimit === null)) {
      throw settingsError(
        `api.tiers.${tier.name}`,
        'rateLimit and burstLimit must both be numbers or both be null',
        tier.rateLimit,
      );
    }
    if (tier.rateLimit !== null && tier.rateLimit > api.rateLimit) {
      throw settingsError(
        `api.tiers.${tier.name}.rateLimit`,
        `must not exceed the stage's api.rateLimit (${api.rateLimit}), which caps every key together`,
        tier.rateLimit,
      );
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    result[key] = key in base ? deepMerge(base[key], value) : value;
  }
  return result;
}
