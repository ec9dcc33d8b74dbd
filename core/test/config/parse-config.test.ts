import { describe, expect, it } from 'vitest';
import { ENV } from '#core/config/env-names.ts';
import { parseConfig } from '#core/config/parse-config.ts';

const awsEnv = {
  [ENV.mode]: 'aws',
  [ENV.bucket]: 'vibe-images',
  [ENV.interactiveQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/interactive',
  [ENV.batchQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/batch',
  [ENV.eventsQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/events',
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    return (error as { details: { issues: string[] } }).details.issues;
  }
  throw new Error('Expected parseConfig to throw');
}

describe('parseConfig', () => {
  it('fills in local-mode defaults from an empty environment', () => {
    const config = parseConfig({});

    expect(config).toMatchObject({
      mode: 'local',
      storage: { mode: 'local', dataDir: '.vibe-data' },
      worker: {
        lanes: ['interactive', 'batch'],
        leaseSeconds: 60,
        maxAttempts: 3,
        maxReceiveCount: 5,
        executionProvider: 'cpu',
        bundleDir: undefined,
      },
      api: { host: '127.0.0.1', port: 8787, publicBaseUrl: 'http://127.0.0.1:8787' },
      logLevel: 'info',
    });
  });

  it('parses an AWS environment and returns a deeply frozen object', () => {
    const config = parseConfig({
      ...awsEnv,
      [ENV.awsRegion]: 'eu-west-1',
      [ENV.awsEndpointUrl]: 'http://127.0.0.1:4566',
      [ENV.lanes]: 'batch',
      [ENV.leaseSeconds]: ' 120 ',
    });

    expect(config.storage).toEqual({
      mode: 'aws',
      bucket: 'vibe-images',
      queueUrls: {
        interactive: awsEnv[ENV.interactiveQueueUrl],
        batch: awsEnv[ENV.batchQueueUrl],
      },
      eventsQueueUrl: awsEnv[ENV.eventsQueueUrl],
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:4566',
    });
    expect(config.worker.lanes).toEqual(['batch']);
    expect(config.worker.leaseSeconds).toBe(120);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.storage)).toBe(true);
    expect(Object.isFrozen(config.worker.lanes)).toBe(true);
  });

  it('reads the REST API stage whose usage plans enforce key rates, and refuses other shapes', () => {
    const config = parseConfig({ ...awsEnv, [ENV.apiGatewayStage]: 'a1b2c3d4e5/prod' });
    const problems = problemsOf({ ...awsEnv, [ENV.apiGatewayStage]: 'https://a1b2c3d4e5/prod' });

    expect(config.storage).toMatchObject({
      apiGateway: { restApiId: 'a1b2c3d4e5', stage: 'prod' },
    });
    expect(parseConfig(awsEnv).storage).toMatchObject({ apiGateway: undefined });
    expect(problems).toEqual([
      expect.stringMatching(
        /^Expected VIBE_API_GATEWAY_STAGE to be <restApiId>\/<stage>, e\.g\. a1b2c3d4e5\/prod but received/,
      ),
    ]);
  });

  it('reports every missing AWS variable at once, naming each', () => {
    const problems = problemsOf({ [ENV.mode]: 'aws' });

    expect(problems).toEqual([
      `${ENV.bucket} is required: expected an S3 bucket name`,
      `${ENV.interactiveQueueUrl} is required: expected an absolute https or http URL`,
      `${ENV.batchQueueUrl} is required: expected an absolute https or http URL`,
      `${ENV.eventsQueueUrl} is required: expected an absolute https or http URL`,
    ]);
  });

  it('reports every invalid value with what was expected and what arrived', () => {
    const problems = problemsOf({
      [ENV.port]: 'eighty',
      [ENV.leaseSeconds]: '1',
      [ENV.lanes]: 'interactive,gpu',
      [ENV.executionProvider]: 'tpu',
      [ENV.publicBaseUrl]: 'ftp://x',
      [ENV.urlSigningSecret]: 'short',
    });

    expect(problems).toEqual([
      `Expected ${ENV.lanes} to be a comma-separated list of distinct values from interactive, batch but received "interactive,gpu"`,
      `Expected ${ENV.leaseSeconds} to be an integer from 2 to 43200 but received "1"`,
      `Expected ${ENV.executionProvider} to be one of cpu, cuda but received "tpu"`,
      `Expected ${ENV.port} to be an integer from 1 to 65535 but received "eighty"`,
      `Expected ${ENV.publicBaseUrl} to be an absolute http or https URL but received "ftp://x"`,
      `Expected ${ENV.urlSigningSecret} to be a secret of at least 32 characters but received "short"`,
    ]);
  });

  it('refuses maxAttempts that would let SQS dead-letter a job before it is marked failed', () => {
    const problems = problemsOf({ [ENV.maxAttempts]: '5', [ENV.maxReceiveCount]: '5' });

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/VIBE_MAX_ATTEMPTS \(5\) to be below VIBE_MAX_RECEIVE_COUNT \(5\)/);
  });

  it('throws a ConfigError whose message lists the problems', () => {
    expect(() => parseConfig({ [ENV.mode]: 'cloud', [ENV.port]: '0' })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        retryable: false,
        message: expect.stringContaining('(2 problems)'),
      }),
    );
  });

  it("treats blank values as absent and ignores the other mode's variables", () => {
    const config = parseConfig({ [ENV.port]: '  ', [ENV.bucket]: 'NOT A BUCKET' });

    expect(config.api.port).toBe(8787);
    expect(config.storage.mode).toBe('local');
  });

  it('declares every variable once, with the VIBE_ prefix', () => {
    const names = Object.values(ENV);

    expect(new Set(names).size).toBe(names.length);
    expect(names.every((name) => /^VIBE_[A-Z][A-Z0-9_]*$/.test(name))).toBe(true);
  });
});
