import { z } from 'zod';
import { LANES, type Lane } from '../jobs/job-record.ts';
import { ENV } from './env-names.ts';
import { choiceListVar, choiceVar, integerVar, stringVar, urlVar } from './env-vars.ts';
import { invalidConfiguration } from './invalid-configuration.ts';
import {
  type ApiGatewayStage,
  apiGatewayStageVar,
  DEFAULT_DATA_DIR,
  dataDirVar,
  parseApiGatewayStage,
  SHARED_AWS_VARS,
  webhookSecretVar,
} from './shared-vars.ts';

export type { ApiGatewayStage };

export type Mode = 'local' | 'aws';

export interface LocalStorageConfig {
  readonly mode: 'local';
  readonly dataDir: string;
}

export interface AwsStorageConfig {
  readonly mode: 'aws';
  readonly bucket: string;
  readonly queueUrls: Readonly<Record<Lane, string>>;
  readonly eventsQueueUrl: string;
  /** The batch task queue (API and batch task Lambda); undefined: batches are off. */
  readonly batchTasksQueueUrl: string | undefined;
  /** The REST API stage whose usage plans enforce key rates; undefined: the API enforces them. */
  readonly apiGateway: ApiGatewayStage | undefined;
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
}

/** The whole configuration of a VIBE process (API, worker, local server), frozen. */
export interface AppConfig {
  readonly mode: Mode;
  readonly storage: LocalStorageConfig | AwsStorageConfig;
  readonly worker: {
    readonly lanes: readonly Lane[];
    readonly leaseSeconds: number;
    readonly maxAttempts: number;
    readonly maxReceiveCount: number;
    readonly shutdownGraceSeconds: number;
    readonly bundleDir: string | undefined;
    readonly executionProvider: 'cpu' | 'cuda';
    /** AWS mode: `s3://bucket/prefix/version/` to download the bundle from (instead of bundleDir). */
    readonly modelS3Uri: string | undefined;
    /** AWS mode: the bundle cache the download goes to (set whenever modelS3Uri is). */
    readonly modelCacheDir: string | undefined;
    /** The file the worker touches while alive (container health check); undefined: none. */
    readonly healthFile: string | undefined;
  };
  readonly api: {
    readonly host: string;
    readonly port: number;
    readonly publicBaseUrl: string;
    readonly urlSigningSecret: string | undefined;
    readonly signedUrlTtlSeconds: number;
    readonly maxUploadBytes: number;
    /** Serve the playground page (`VIBE_PLAYGROUND`; default: on in local mode only). */
    readonly playground: boolean;
  };
  readonly webhooks: {
    readonly secret: string | undefined;
    readonly secretArn: string | undefined;
  };
  /** API keys (functions/src/api/auth): `required` or `disabled` (jobs owned by `anonymous`). */
  readonly auth: { readonly mode: 'required' | 'disabled' };
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

const common = z.object({
  [ENV.mode]: choiceVar(ENV.mode, ['local', 'aws'] as const, { default: 'local' }),
  [ENV.lanes]: choiceListVar(ENV.lanes, LANES, { default: LANES }),
  [ENV.leaseSeconds]: integerVar(ENV.leaseSeconds, { min: 2, max: 43_200 }, { default: 60 }),
  [ENV.maxAttempts]: integerVar(ENV.maxAttempts, { min: 1, max: 100 }, { default: 3 }),
  [ENV.maxReceiveCount]: integerVar(ENV.maxReceiveCount, { min: 2, max: 1000 }, { default: 5 }),
  [ENV.shutdownGraceSeconds]: integerVar(
    ENV.shutdownGraceSeconds,
    { min: 0, max: 3_600 },
    { default: 110 },
  ),
  [ENV.bundleDir]: stringVar(
    ENV.bundleDir,
    { expected: 'a folder path', test: () => true },
    'optional',
  ),
  [ENV.executionProvider]: choiceVar(ENV.executionProvider, ['cpu', 'cuda'] as const, {
    default: 'cpu',
  }),
  [ENV.healthFile]: stringVar(
    ENV.healthFile,
    { expected: 'a file path', test: () => true },
    'optional',
  ),
  [ENV.host]: stringVar(
    ENV.host,
    { expected: 'a host name or IP address', test: (v) => /^[A-Za-z0-9.:-]+$/.test(v) },
    { default: '127.0.0.1' },
  ),
  [ENV.port]: integerVar(ENV.port, { min: 1, max: 65_535 }, { default: 8787 }),
  [ENV.publicBaseUrl]: urlVar(ENV.publicBaseUrl, ['http', 'https'], 'optional'),
  [ENV.signedUrlTtlSeconds]: integerVar(
    ENV.signedUrlTtlSeconds,
    { min: 60, max: 604_800 },
    { default: 900 },
  ),
  [ENV.maxUploadBytes]: integerVar(
    ENV.maxUploadBytes,
    { min: 1024, max: 5 * 1024 ** 3 },
    { default: 20 * 1024 ** 2 },
  ),
  [ENV.logLevel]: choiceVar(ENV.logLevel, ['debug', 'info', 'warn', 'error'] as const, {
    default: 'info',
  }),
  [ENV.playground]: choiceVar(ENV.playground, ['on', 'off'] as const, 'optional'),
  [ENV.auth]: choiceVar(ENV.auth, ['required', 'disabled'] as const, { default: 'required' }),
});

const local = z.object({
  [ENV.dataDir]: dataDirVar,
  [ENV.urlSigningSecret]: stringVar(
    ENV.urlSigningSecret,
    { expected: 'a secret of at least 32 characters', test: (v) => v.length >= 32 },
    'optional',
  ),
  [ENV.webhookSecret]: webhookSecretVar,
});

/** `s3://<bucket>/<prefix>/<version>/`: at least the version folder, which names the cache folder. */
const MODEL_S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/([\w.=+-]+\/)*[\w.=+-]+\/?$/;

const sqsUrl = (name: string) => urlVar(name, ['https', 'http'], 'required');

const aws = z.object({
  ...SHARED_AWS_VARS,
  [ENV.interactiveQueueUrl]: sqsUrl(ENV.interactiveQueueUrl),
  [ENV.batchQueueUrl]: sqsUrl(ENV.batchQueueUrl),
  [ENV.eventsQueueUrl]: sqsUrl(ENV.eventsQueueUrl),
  [ENV.batchTasksQueueUrl]: urlVar(ENV.batchTasksQueueUrl, ['https', 'http'], 'optional'),
  [ENV.apiGatewayStage]: apiGatewayStageVar,
  [ENV.modelS3Uri]: stringVar(
    ENV.modelS3Uri,
    {
      expected: 'an S3 folder URI such as s3://bucket/models/vibe/v1/',
      test: (v) => MODEL_S3_URI.test(v) && !/\/\.{1,2}(\/|$)/.test(v),
    },
    'optional',
  ),
  [ENV.modelCacheDir]: stringVar(
    ENV.modelCacheDir,
    { expected: 'a folder path', test: () => true },
    'optional',
  ),
});

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses the environment once into a frozen AppConfig. Every missing or invalid variable is
 * reported together in one ConfigError (message and `details.issues`), including the cross-field
 * rule maxAttempts < maxReceiveCount (a job must be marked failed before SQS dead-letters it).
 * Variables of the other mode are ignored.
 */
export function parseConfig(env: Env): AppConfig {
  const issues: string[] = [];
  const collect = <T>(result: z.ZodSafeParseResult<T>): T | undefined => {
    if (result.success) return result.data;
    issues.push(...result.error.issues.map((issue) => issue.message));
    return undefined;
  };

  const base = collect(common.safeParse(env));
  const mode = choiceVar(ENV.mode, ['local', 'aws'] as const, { default: 'local' }).safeParse(
    env[ENV.mode],
  );
  const localPart = mode.data === 'local' ? collect(local.safeParse(env)) : undefined;
  const awsPart = mode.data === 'aws' ? collect(aws.safeParse(env)) : undefined;
  if (base !== undefined && base[ENV.maxAttempts] >= base[ENV.maxReceiveCount]) {
    issues.push(
      `Expected ${ENV.maxAttempts} (${base[ENV.maxAttempts]}) to be below ${ENV.maxReceiveCount} (${base[ENV.maxReceiveCount]}), so that a job is marked failed before its message reaches the dead-letter queue`,
    );
  }
  if (awsPart?.[ENV.modelS3Uri] !== undefined) {
    if (awsPart[ENV.modelCacheDir] === undefined) {
      issues.push(
        `${ENV.modelCacheDir} is required with ${ENV.modelS3Uri}: expected the folder to download the bundle into`,
      );
    }
    if (base?.[ENV.bundleDir] !== undefined) {
      issues.push(
        `Expected one of ${ENV.modelS3Uri} and ${ENV.bundleDir} but received both; set only the one the worker should load`,
      );
    }
  }
  if (base === undefined || issues.length > 0 || (localPart ?? awsPart) === undefined) {
    throw invalidConfiguration('configuration', issues);
  }

  const storage: LocalStorageConfig | AwsStorageConfig =
    awsPart !== undefined
      ? {
          mode: 'aws',
          bucket: awsPart[ENV.bucket],
          queueUrls: {
            interactive: awsPart[ENV.interactiveQueueUrl],
            batch: awsPart[ENV.batchQueueUrl],
          },
          eventsQueueUrl: awsPart[ENV.eventsQueueUrl],
          batchTasksQueueUrl: awsPart[ENV.batchTasksQueueUrl],
          apiGateway: parseApiGatewayStage(awsPart[ENV.apiGatewayStage]),
          region: awsPart[ENV.awsRegion],
          endpoint: awsPart[ENV.awsEndpointUrl],
        }
      : { mode: 'local', dataDir: localPart?.[ENV.dataDir] ?? DEFAULT_DATA_DIR };
  const host = base[ENV.host];
  const port = base[ENV.port];
  return deepFreeze({
    mode: base[ENV.mode],
    storage,
    worker: {
      lanes: base[ENV.lanes],
      leaseSeconds: base[ENV.leaseSeconds],
      maxAttempts: base[ENV.maxAttempts],
      maxReceiveCount: base[ENV.maxReceiveCount],
      shutdownGraceSeconds: base[ENV.shutdownGraceSeconds],
      bundleDir: base[ENV.bundleDir],
      executionProvider: base[ENV.executionProvider],
      modelS3Uri: awsPart?.[ENV.modelS3Uri],
      modelCacheDir: awsPart?.[ENV.modelCacheDir],
      healthFile: base[ENV.healthFile],
    },
    api: {
      host,
      port,
      publicBaseUrl:
        base[ENV.publicBaseUrl] ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      urlSigningSecret: localPart?.[ENV.urlSigningSecret],
      signedUrlTtlSeconds: base[ENV.signedUrlTtlSeconds],
      maxUploadBytes: base[ENV.maxUploadBytes],
      playground: (base[ENV.playground] ?? (localPart === undefined ? 'off' : 'on')) === 'on',
    },
    webhooks: {
      secret: localPart?.[ENV.webhookSecret],
      secretArn: awsPart?.[ENV.webhookSecretArn],
    },
    auth: { mode: base[ENV.auth] },
    logLevel: base[ENV.logLevel],
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
