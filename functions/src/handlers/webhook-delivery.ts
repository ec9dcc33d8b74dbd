/**
 * The webhook deliverer's Lambda entry (SQS-triggered by the events queue, with
 * ReportBatchItemFailures) and its composition root. Each record is delivered by the same logic
 * as the local deliverer (webhooks/deliver-event.ts), all records of a batch at once, so a batch
 * of 10 slow receivers still ends within one attempt timeout. A record to retry gets its
 * visibility set to the retry's wait (ChangeMessageVisibility, up to 12 h) and is reported as a
 * batch item failure; Lambda deletes the others. A record to dead-letter is made visible at once
 * and reported failed: its next receive passes the queue's maxReceiveCount (8, the number of
 * attempts) and SQS moves it to the dead-letter queue.
 */
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createAwsClients } from '#core/aws/aws-clients.ts';
import { S3BlobStore } from '#core/aws/s3-blob-store.ts';
import { S3DeliveryLog } from '#core/aws/s3-delivery-log.ts';
import { parseServiceEvent } from '#core/webhooks/service-event.ts';
import { cachedSigningSecrets, staticSigningSecrets } from '#core/webhooks/signing-secrets.ts';
import type { LogSink } from '../api/api-types.ts';
import { describeError } from '../api/http-errors.ts';
import { type DelivererDeps, deliverEvent } from '../webhooks/deliver-event.ts';
import { parseDeliveryConfig } from '../webhooks/delivery-config.ts';
import { createExtensionSecretFetcher } from '../webhooks/lambda-extension-secrets.ts';
import { createWebhookPoster } from '../webhooks/webhook-poster.ts';

export interface WebhookDeliveryHandlerDeps extends DelivererDeps {
  readonly sqs: SQSClient;
  /** The events queue (for ChangeMessageVisibility). */
  readonly queueUrl: string;
}

export type WebhookDeliveryHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** The handler over ready dependencies, or a function that builds them on first use. */
export function createWebhookDeliveryHandler(
  deps: WebhookDeliveryHandlerDeps | (() => Promise<WebhookDeliveryHandlerDeps>),
): WebhookDeliveryHandler {
  let ready: Promise<WebhookDeliveryHandlerDeps> | undefined;
  const resolve = (): Promise<WebhookDeliveryHandlerDeps> => {
    if (typeof deps !== 'function') return Promise.resolve(deps);
    ready ??= deps().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
  return async (event) => {
    const ports = await resolve();
    const failed = await Promise.all(event.Records.map((record) => handleRecord(record, ports)));
    return {
      batchItemFailures: failed
        .filter((id): id is string => id !== undefined)
        .map((itemIdentifier) => ({ itemIdentifier })),
    };
  };
}

/** Delivers one record; resolves with its message id when it must stay on the queue. */
async function handleRecord(
  record: SQSRecord,
  deps: WebhookDeliveryHandlerDeps,
): Promise<string | undefined> {
  const log: LogSink = deps.logSink ?? (() => {});
  let message: ReturnType<typeof parseServiceEvent>;
  try {
    message = parseServiceEvent(JSON.parse(record.body));
  } catch (error) {
    // Left on the queue: after maxReceiveCount receives it is in the dead-letter queue to inspect.
    log({
      level: 'error',
      msg: 'unreadable event on the events queue',
      messageId: record.messageId,
      error: describeError(error),
    });
    return record.messageId;
  }
  const attempt = Number(record.attributes.ApproximateReceiveCount);
  try {
    const decision = await deliverEvent(
      {
        messageId: record.messageId,
        message,
        attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
      },
      deps,
    );
    if (decision.action === 'ack') return undefined;
    await deps.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: deps.queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: decision.delaySeconds,
      }),
    );
    return record.messageId;
  } catch (error) {
    // Comes back after the queue's visibility timeout (180 s) and counts as an attempt.
    log({
      level: 'error',
      msg: 'webhook delivery failed',
      messageId: record.messageId,
      eventId: message.id,
      error: describeError(error),
    });
    return record.messageId;
  }
}

/** Builds the dependencies from the Lambda's environment (docs/webhooks.md lists it). */
export async function buildDeliveryDeps(
  env: Readonly<Record<string, string | undefined>>,
): Promise<WebhookDeliveryHandlerDeps> {
  const config = parseDeliveryConfig(env);
  const { s3, sqs } = createAwsClients({ region: config.region, endpoint: config.endpoint });
  const secrets =
    config.secret !== undefined
      ? staticSigningSecrets(config.secret)
      : cachedSigningSecrets({
          secretId: config.secretArn ?? '',
          fetchSecret: createExtensionSecretFetcher({}, env),
        });
  return {
    sqs,
    queueUrl: config.eventsQueueUrl,
    log: new S3DeliveryLog({ client: s3, bucket: config.bucket }),
    blobs: new S3BlobStore({ client: s3, bucket: config.bucket }),
    post: createWebhookPoster(),
    secrets,
    logSink: (entry) => {
      if (entry.level !== 'info') process.stderr.write(`${JSON.stringify(entry)}\n`);
    },
  };
}

/** The Lambda handler (`functions/src/handlers/webhook-delivery.handler`). */
export const handler: WebhookDeliveryHandler = createWebhookDeliveryHandler(() =>
  buildDeliveryDeps(process.env),
);
