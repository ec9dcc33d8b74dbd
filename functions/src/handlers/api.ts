/**
 * The API's Lambda entry point (API Gateway REST API proxy events, or HTTP API payload 2.0), and
 * its composition root: it reads the environment once (core's parseConfig), builds the S3 and SQS
 * adapters once per container, and serves the same app as the local server.
 */
import { createApiGatewayClient } from '#core/aws/api-gateway-client.ts';
import { ApiGatewayKeyGateway } from '#core/aws/api-gateway-key-gateway.ts';
import { type AwsClients, createAwsClients } from '#core/aws/aws-clients.ts';
import { createS3AccessStores } from '#core/aws/s3-access-stores.ts';
import { S3BlobStore } from '#core/aws/s3-blob-store.ts';
import { S3DeliveryLog } from '#core/aws/s3-delivery-log.ts';
import { S3JobStore } from '#core/aws/s3-job-store.ts';
import { createSqsEventQueue } from '#core/aws/sqs-event-queue.ts';
import { SqsJobQueue } from '#core/aws/sqs-job-queue.ts';
import { type AppConfig, parseConfig } from '#core/config/parse-config.ts';
import { ConfigError } from '#core/errors.ts';
import { parseJobMessage } from '#core/jobs/job-message.ts';
import type { KeyGateway } from '#core/keys/key-gateway.ts';
import { apiConfigFromAppConfig } from '../api/api-config.ts';
import type { ApiApp, ApiDeps } from '../api/api-types.ts';
import { awsBatchPorts } from '../api/batches/batch-ports.ts';
import { createApiApp } from '../api/create-api-app.ts';
import { sqsQueueDepth } from '../api/waiting/sqs-queue-depth.ts';
import { createLambdaHandler, type LambdaApiHandler } from './lambda-adapter.ts';

/** The API's dependencies on S3 and SQS, from a parsed `aws` configuration. */
export function buildAwsApiDeps(
  config: AppConfig,
  clients?: AwsClients,
  keyGateway?: KeyGateway,
): ApiDeps {
  const storage = config.storage;
  if (storage.mode !== 'aws') {
    throw new ConfigError(
      `Expected VIBE_MODE=aws for the Lambda entry point but received "${storage.mode}"`,
    );
  }
  const clientConfig = { region: storage.region, endpoint: storage.endpoint };
  const { s3, sqs } = clients ?? createAwsClients(clientConfig);
  const gateway =
    keyGateway ??
    (storage.apiGateway === undefined
      ? undefined
      : new ApiGatewayKeyGateway({
          client: createApiGatewayClient(clientConfig),
          restApiId: storage.apiGateway.restApiId,
          stage: storage.apiGateway.stage,
        }));
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
    // API keys, idempotency records and per-key limits under keys/, idempotency/, limits/.
    ...createS3AccessStores({ client: s3, bucket: storage.bucket }),
    // With usage plans, API Gateway enforces each key's rate and the admin routes register keys.
    keyGateway: gateway,
    queueDepth: sqsQueueDepth(sqs, storage.queueUrls),
    // Written by the webhook Lambda beside the job records (jobs/<id>/webhook-deliveries.json).
    webhookDeliveries: new S3DeliveryLog({ client: s3, bucket: storage.bucket }),
    // Without the task queue (VIBE_BATCH_TASKS_QUEUE_URL) the batch routes answer 404.
    ...(storage.batchTasksQueueUrl === undefined
      ? {}
      : {
          batches: awsBatchPorts({
            s3,
            sqs,
            bucket: storage.bucket,
            tasksQueueUrl: storage.batchTasksQueueUrl,
            eventsQueueUrl: storage.eventsQueueUrl,
          }),
        }),
  };
}

/**
 * A handler that builds the app from `env` on its first invocation and reuses it (one set of SDK
 * clients per container). A failed build is retried on the next invocation.
 */
export function createApiHandler(
  env: Readonly<Record<string, string | undefined>>,
  clients?: AwsClients,
  keyGateway?: KeyGateway,
): LambdaApiHandler {
  let app: Promise<ApiApp> | undefined;
  return createLambdaHandler(async () => {
    app ??= Promise.resolve().then(() =>
      createApiApp(buildAwsApiDeps(parseConfig(env), clients, keyGateway)),
    );
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
