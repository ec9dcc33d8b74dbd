import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface AwsClientsConfig {
  /** Default: the SDK's own resolution (AWS_REGION, profile). */
  readonly region?: string | undefined;
  /** A local S3/SQS emulator such as fauxqs, e.g. `http://127.0.0.1:4566`. Unset in AWS. */
  readonly endpoint?: string | undefined;
  /** Default: the SDK's provider chain. Emulators accept any static pair. */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
}

export interface AwsClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
}

/**
 * Builds the S3 and SQS clients with the settings the adapters rely on (platform-notes §6):
 * - S3 checksums only WHEN_REQUIRED, so presigned PUT URLs carry no empty `x-amz-checksum-*`
 *   parameters that real S3 would reject;
 * - path-style S3 addressing when an endpoint is set (`<bucket>.localhost` does not resolve here);
 * - SQS calls go to the configured endpoint, not to the host inside the queue URL (fauxqs's queue
 *   URLs name `sqs.<region>.localhost`).
 * Call it in composition roots only; adapters receive the clients.
 */
export function createAwsClients(config: AwsClientsConfig = {}): AwsClients {
  const common = {
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.credentials === undefined ? {} : { credentials: { ...config.credentials } }),
  };
  const s3 = new S3Client({
    ...common,
    forcePathStyle: config.endpoint !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const sqs = new SQSClient({ ...common, useQueueUrlAsEndpoint: false });
  return { s3, sqs };
}
