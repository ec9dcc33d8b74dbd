import { describe, expect, it } from 'vitest';
import { createAwsClients } from '#core/aws/aws-clients.ts';

describe('createAwsClients', () => {
  it('applies the settings the adapters rely on for an emulator endpoint', async () => {
    const { s3, sqs } = createAwsClients({
      endpoint: 'http://127.0.0.1:4566',
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });

    expect(s3.config.forcePathStyle).toBe(true);
    expect(await s3.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await s3.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(sqs.config.useQueueUrlAsEndpoint).toBe(false);
    expect(await sqs.config.region()).toBe('us-east-1');
    s3.destroy();
    sqs.destroy();
  });

  it('keeps virtual-hosted S3 addressing without an endpoint (real AWS)', async () => {
    const { s3, sqs } = createAwsClients({ region: 'eu-west-1' });

    expect(s3.config.forcePathStyle).toBe(false);
    expect(await s3.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    s3.destroy();
    sqs.destroy();
  });
});
