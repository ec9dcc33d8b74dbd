/**
 * The API's Lambda entry point (API Gateway REST API proxy events, or HTTP API payload 2.0), and
 * its composition root: it reads the environment once (core's parseConfig), builds the S3 and SQS
 * adapters once per container, and serves the same app as the local server.
 */
import { type AwsClients, createAwsClients } from '#core/aws/aws-clients.ts';
import { S3BlobStore } from '#core/aws/s3-blob-store.ts';
import { S3JobStore } from '#core/aws/s3-job-store.ts';
import { createSqsEventQueue } from '#core/aws/sqs-event-queue.ts';
import { SqsJobQueue } from '#core/aws/sqs-job-queue.ts';
import { type AppConfig, parseConfig } from '#core/config/parse-config.ts';
import { ConfigError } from '#core/errors.ts';
import { parseJobMessage } from '#core/jobs/job-message.ts';
import { apiConfigFromAppConfig } from '../api/api-config.ts';
import type { ApiApp, ApiDeps } from '../api/api-types.ts';
import { createApiApp } from '../api/create-api-app.ts';
import { createLambdaHandler, type LambdaApiHandler } from './lambda-adapter.ts';

/** The API's dependencies on S3 and SQS, from a parsed `aws` configuration. */
export function buildAwsApiDeps(config: AppConfig, clients?: AwsClients): ApiDeps {
  const storage = config.storage;
  if (storage.mode !== 'aws') {
    throw new ConfigError(
      `Expected VIBE_MODE=aws for the Lambda entry point but received "${storage.mode}"`,
    );
  }
  const { s3, sqs } =
    clients ??
    createAwsClients({
      ...(storage.region === undefined ? {} : { region: storage.region }),
      ...(storage.endpoint === undefined ? {} : { endpoint: storage.endpoint }),
    });
  const queue = (queueUrl: string) =>
    new SqsJobQueue({ client: sqs, queueUrl, parse: parseJobMessage });
  return {
    blobs: new S3BlobStore({ client: s3, bucket: storage.bucket }),
    jobs: new S3JobStore({ client: s3, bucket: storage.bucket }),
    queues: {
      interactive: queue(storage.queueUrls.interactive),
      batch: queue(storage.queueUrls.batch),
    },
    events: createSqsEventQueue({ client: sqs, queueUrl: storage.eventsQueueUrl }),
    config: apiConfigFromAppConfig(config),
  };
}

/**
 * A handler that builds the app from `env` on its first invocation and reuses it (one set of SDK
 * clients per container). A failed build is retried on the next invocation.
 */
export function createApiHandler(
  env: Readonly<Record<string, string | undefined>>,
  clients?: AwsClients,
): LambdaApiHandler {
  let app: Promise<ApiApp> | undefined;
  return createLambdaHandler(async () => {
    app ??= Promise.resolve().then(() => createApiApp(buildAwsApiDeps(parseConfig(env), clients)));
    try {
      return await app;
    } catch (error) {
      app = undefined;
      throw error;
    }
  });
}

/** The Lambda handler (`functions/src/handlers/api.handler`). */
export const handler: LambdaApiHandler = createApiHandler(process.env);
