/** The worker's bundle and health settings in core's parseConfig (VIBE_MODEL_*, VIBE_HEALTH_FILE). */
import { describe, expect, it } from 'vitest';
import { ENV } from '#core/config/env-names.ts';
import { parseConfig } from '#core/config/parse-config.ts';
import { ENV_NAMES } from '../../../infra/lib/env-names.ts';

const awsEnv = {
  [ENV.mode]: 'aws',
  [ENV.bucket]: 'vibe-images',
  [ENV.interactiveQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/interactive',
  [ENV.batchQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/batch',
  [ENV.eventsQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/events',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    return (error as { details: { issues: string[] } }).details.issues;
  }
  throw new Error('Expected parseConfig to throw');
}

describe('parseConfig: worker bundle and health settings', () => {
  it('reads the bundle URI, the cache and the health file in aws mode', () => {
    const config = parseConfig({
      ...awsEnv,
      VIBE_MODEL_S3_URI: 's3://vibe-images/models/vibe/v1/',
      VIBE_MODEL_CACHE_DIR: '/var/cache/vibe/models',
      VIBE_HEALTH_FILE: '/tmp/vibe-worker.alive',
    });

    expect(config.worker).toMatchObject({
      modelS3Uri: 's3://vibe-images/models/vibe/v1/',
      modelCacheDir: '/var/cache/vibe/models',
      healthFile: '/tmp/vibe-worker.alive',
      bundleDir: undefined,
    });
  });

  it('leaves them unset by default and ignores the bundle URI in local mode', () => {
    const local = parseConfig({ VIBE_MODEL_S3_URI: 's3://b-x/v1/', VIBE_MODEL_CACHE_DIR: '/c' });

    expect(local.worker).toMatchObject({
      modelS3Uri: undefined,
      modelCacheDir: undefined,
      healthFile: undefined,
    });
  });

  it('refuses a malformed URI, a URI without a cache, and a URI together with a bundle folder', () => {
    expect(problemsOf({ ...awsEnv, VIBE_MODEL_S3_URI: 'vibe-images/models/v1' })).toEqual([
      'Expected VIBE_MODEL_S3_URI to be an S3 folder URI such as s3://bucket/models/vibe/v1/ but received "vibe-images/models/v1"',
    ]);
    expect(problemsOf({ ...awsEnv, VIBE_MODEL_S3_URI: 's3://vibe-images/models/../v1/' })).toEqual([
      'Expected VIBE_MODEL_S3_URI to be an S3 folder URI such as s3://bucket/models/vibe/v1/ but received "s3://vibe-images/models/../v1/"',
    ]);
    expect(
      problemsOf({
        ...awsEnv,
        VIBE_MODEL_S3_URI: 's3://vibe-images/models/vibe/v1/',
        VIBE_BUNDLE_DIR: '/models/vibe',
      }),
    ).toEqual([
      'VIBE_MODEL_CACHE_DIR is required with VIBE_MODEL_S3_URI: expected the folder to download the bundle into',
      'Expected one of VIBE_MODEL_S3_URI and VIBE_BUNDLE_DIR but received both; set only the one the worker should load',
    ]);
  });

  it('is what the stack sets: infra names the same variables', () => {
    expect(ENV_NAMES.modelS3Uri).toBe(ENV.modelS3Uri);
    expect(ENV_NAMES.modelCacheDir).toBe(ENV.modelCacheDir);
  });
});
