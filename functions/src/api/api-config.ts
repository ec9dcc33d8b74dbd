import type { AppConfig } from '#core/config/parse-config.ts';
import {
  EDIT_LIMITS,
  type OutputFormat,
  type SizeMode,
  validateEditParameters,
} from '#core/edit-parameters.ts';
import { ConfigError, isAppError } from '#core/errors.ts';
import { DEFAULT_MAX_INSTRUCTION_CHARS } from '#core/instruction.ts';
import { LANES, type Lane } from '#core/jobs/job-record.ts';
import {
  type AccessConfig,
  checkAccessConfig,
  DEFAULT_ACCESS_CONFIG,
  DEFAULT_WAITING_CONFIG,
  type WaitingConfig,
} from './auth/access-config.ts';

const MiB = 1024 ** 2;

/** Size and content limits of the API. docs/api.md has the same table. */
export interface ApiLimits {
  /**
   * The largest request body read. Lambda takes at most 6 MB per synchronous invocation and API
   * Gateway 10 MB (DESIGN §2), so bigger images go through `POST /v1/uploads`.
   * @default 6 MiB
   */
  readonly maxBodyBytes: number;
  /**
   * The largest image sent in the request itself (a data URI or a multipart file part), decoded.
   * Its base64 form (4/3 of it) plus the other fields must fit in `maxBodyBytes`.
   * @default 4 MiB (or maxImageBytes when that is smaller)
   */
  readonly maxInlineImageBytes: number;
  /** The largest image from an upload or a URL (VIBE_MAX_UPLOAD_BYTES). @default 20 MiB */
  readonly maxImageBytes: number;
  /**
   * The most pixels (width × height) an input may have, read from the header, so decompression
   * bombs are refused before anything decodes them. The same default as the worker's
   * DEFAULT_MAX_INPUT_PIXELS (runtime/src/pipeline/edit-pipeline.ts).
   * @default 50,000,000
   */
  readonly maxInputPixels: number;
  /** @default 2000 code points (core's DEFAULT_MAX_INSTRUCTION_CHARS) */
  readonly maxInstructionChars: number;
}

/** Values a submission takes for the fields it leaves out (the model bundle's defaults). */
export interface ApiDefaults {
  /** @default 20 */
  readonly steps: number;
  /** @default 4.5 */
  readonly guidanceScale: number;
  /** @default 1.2 */
  readonly imageGuidanceScale: number;
  /** Upstream's `generate_edited_image(seed=42)`. @default 42 */
  readonly seed: number;
  /** @default 'aligned' */
  readonly sizeMode: SizeMode;
  /** @default 'png' */
  readonly outputFormat: OutputFormat;
  /** @default 'interactive' */
  readonly lane: Lane;
}

export interface ModelInfo {
  readonly name: string;
  readonly version: string;
  /** True when a tiny test bundle runs instead of the real model. */
  readonly synthetic: boolean;
}

export interface ApiConfig {
  readonly limits: ApiLimits;
  readonly defaults: ApiDefaults;
  /** Lifetime of presigned URLs (output downloads and upload PUTs). @default 900 */
  readonly signedUrlTtlSeconds: number;
  /**
   * How long after its PUT URL expires an upload id may still be used in a submission; after that
   * it is answered UPLOAD_EXPIRED (410) even if the object is still in the store.
   * @default 3600
   */
  readonly uploadRetentionSeconds: number;
  /** A store or queue call that takes longer counts as unavailable (503). @default 5000 */
  readonly dependencyTimeoutMs: number;
  /** The `Retry-After` of a 503. @default 5 */
  readonly retryAfterSeconds: number;
  /** Limits of `{ "url": ... }` downloads by the default fetcher. */
  readonly imageFetch: {
    /** Whole download, headers and body, every redirect included. @default 10000 */
    readonly timeoutMs: number;
    /** @default 3 */
    readonly maxRedirects: number;
  };
  /** Written into new job records when known; the worker writes what it actually runs. */
  readonly model: ModelInfo | null;
  /** The record's owner when API keys are disabled (DESIGN §9). @default 'anonymous' */
  readonly owner: string;
  /** API keys, per-key limits, idempotency (auth/access-config.ts). */
  readonly access: AccessConfig;
  /** `Prefer: wait` and job deadlines (auth/access-config.ts). */
  readonly waiting: WaitingConfig;
  /**
   * Serve the playground page at `/playground` (functions/src/playground); 404 otherwise.
   * @default false (composition roots turn it on: local mode, or VIBE_PLAYGROUND=on)
   */
  readonly playground: boolean;
}

/** What a composition root passes: any field may be left out. */
export interface ApiConfigInput {
  readonly limits?: Partial<ApiLimits>;
  readonly defaults?: Partial<ApiDefaults>;
  readonly signedUrlTtlSeconds?: number;
  readonly uploadRetentionSeconds?: number;
  readonly dependencyTimeoutMs?: number;
  readonly retryAfterSeconds?: number;
  readonly imageFetch?: Partial<ApiConfig['imageFetch']>;
  readonly model?: ModelInfo | null;
  readonly owner?: string;
  readonly access?: Partial<AccessConfig>;
  readonly waiting?: Partial<WaitingConfig>;
  readonly playground?: boolean;
}

/** The API's part of the process configuration (core's parseConfig). */
export function apiConfigFromAppConfig(config: AppConfig): ApiConfigInput {
  return {
    signedUrlTtlSeconds: config.api.signedUrlTtlSeconds,
    limits: { maxImageBytes: config.api.maxUploadBytes },
    access: { auth: config.auth.mode },
    playground: config.api.playground,
  };
}

/**
 * Fills in the defaults and checks the result once, at start-up.
 * @throws ConfigError listing every problem.
 */
export function resolveApiConfig(input: ApiConfigInput = {}): ApiConfig {
  const maxImageBytes = input.limits?.maxImageBytes ?? 20 * MiB;
  const limits: ApiLimits = {
    maxBodyBytes: 6 * MiB,
    maxInlineImageBytes: Math.min(4 * MiB, maxImageBytes),
    maxInputPixels: 50_000_000,
    maxInstructionChars: DEFAULT_MAX_INSTRUCTION_CHARS,
    ...input.limits,
    maxImageBytes,
  };
  const defaults: ApiDefaults = {
    steps: 20,
    guidanceScale: 4.5,
    imageGuidanceScale: 1.2,
    seed: 42,
    sizeMode: 'aligned',
    outputFormat: 'png',
    lane: 'interactive',
    ...input.defaults,
  };
  const config: ApiConfig = {
    limits,
    defaults,
    signedUrlTtlSeconds: input.signedUrlTtlSeconds ?? 900,
    uploadRetentionSeconds: input.uploadRetentionSeconds ?? 3600,
    dependencyTimeoutMs: input.dependencyTimeoutMs ?? 5000,
    retryAfterSeconds: input.retryAfterSeconds ?? 5,
    imageFetch: { timeoutMs: 10_000, maxRedirects: 3, ...input.imageFetch },
    model: input.model ?? null,
    owner: input.owner ?? 'anonymous',
    access: { ...DEFAULT_ACCESS_CONFIG, ...input.access },
    waiting: { ...DEFAULT_WAITING_CONFIG, ...input.waiting },
    playground: input.playground ?? false,
  };
  const problems = checkConfig(config);
  if (problems.length > 0) {
    throw new ConfigError(`Invalid API configuration:\n- ${problems.join('\n- ')}`, {
      details: { issues: problems },
    });
  }
  return Object.freeze(config);
}

function checkConfig(config: ApiConfig): string[] {
  const problems: string[] = [];
  const positive = (name: string, value: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isSafeInteger(value) || value < 1 || value > max) {
      problems.push(`Expected ${name} to be an integer from 1 to ${max} but received ${value}`);
    }
  };
  const { limits } = config;
  positive('limits.maxBodyBytes', limits.maxBodyBytes);
  positive('limits.maxInlineImageBytes', limits.maxInlineImageBytes);
  positive('limits.maxImageBytes', limits.maxImageBytes, 5 * 1024 ** 3);
  positive('limits.maxInputPixels', limits.maxInputPixels);
  positive('limits.maxInstructionChars', limits.maxInstructionChars);
  if (limits.maxInlineImageBytes > limits.maxImageBytes) {
    problems.push(
      `Expected limits.maxInlineImageBytes (${limits.maxInlineImageBytes}) to be at most limits.maxImageBytes (${limits.maxImageBytes})`,
    );
  }
  // 604,800 s is the longest presigned URL S3 signs.
  positive('signedUrlTtlSeconds', config.signedUrlTtlSeconds, 604_800);
  positive('uploadRetentionSeconds', config.uploadRetentionSeconds);
  positive('dependencyTimeoutMs', config.dependencyTimeoutMs);
  positive('retryAfterSeconds', config.retryAfterSeconds);
  positive('imageFetch.timeoutMs', config.imageFetch.timeoutMs);
  if (!Number.isInteger(config.imageFetch.maxRedirects) || config.imageFetch.maxRedirects < 0) {
    problems.push(
      `Expected imageFetch.maxRedirects to be an integer of 0 or more but received ${config.imageFetch.maxRedirects}`,
    );
  }
  if (config.owner.length === 0 || config.owner.length > 256) {
    problems.push(`Expected owner to have 1 to 256 characters but received ${config.owner.length}`);
  }
  problems.push(...checkAccessConfig(config.access, config.waiting));
  const { defaults } = config;
  if (!(LANES as readonly string[]).includes(defaults.lane)) {
    problems.push(
      `Expected defaults.lane to be one of ${LANES.join(', ')} but received "${defaults.lane}"`,
    );
  }
  try {
    validateEditParameters({
      steps: defaults.steps,
      guidanceScale: defaults.guidanceScale,
      imageGuidanceScale: defaults.imageGuidanceScale,
      seed: defaults.seed,
      sizeMode: defaults.sizeMode,
      output: { format: defaults.outputFormat },
    });
  } catch (error) {
    if (!isAppError(error)) throw error;
    problems.push(`defaults: ${error.message} (limits: ${JSON.stringify(EDIT_LIMITS)})`);
  }
  return problems;
}
