import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { S3DeliveryLog } from '#core/aws/s3-delivery-log.ts';
import { jobEventFor } from '#core/jobs/job-event.ts';
import { jobRecordFactory, newJobId } from '#core/testing/job-factory.ts';
import { staticSigningSecrets } from '#core/webhooks/signing-secrets.ts';
import { verifyWebhook } from '#core/webhooks/verify-webhook.ts';
import { generateWebhookSecret } from '#core/webhooks/webhook-secret.ts';
import {
  buildDeliveryDeps,
  createWebhookDeliveryHandler,
  type WebhookDeliveryHandlerDeps,
} from '#functions/handlers/webhook-delivery.ts';
import { createExtensionSecretFetcher } from '#functions/webhooks/lambda-extension-secrets.ts';
import { createWebhookPoster } from '#functions/webhooks/webhook-poster.ts';
import { type FauxqsEmulator, startFauxqs } from '../../../core/test/helpers/fauxqs-emulator.ts';
import { downOrigin, startReceiver, type TestReceiver } from '../webhooks/webhook-receiver.ts';

const SECRET = generateWebhookSecret();
let emulator: FauxqsEmulator;
let bucket: string;
const receivers: TestReceiver[] = [];

beforeAll(async () => {
  emulator = await startFauxqs();
  bucket = await emulator.createBucket();
});
afterAll(() => emulator.close());
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

function deps(
  queueUrl: string,
  origins: string[],
  overrides: Partial<WebhookDeliveryHandlerDeps> = {},
): WebhookDeliveryHandlerDeps {
  return {
    sqs: emulator.clients.sqs,
    queueUrl,
    log: new S3DeliveryLog({ client: emulator.clients.s3, bucket }),
    post: createWebhookPoster({ policy: { allowOrigins: origins }, timeoutMs: 2_000 }),
    secrets: staticSigningSecrets(SECRET),
    random: () => 0,
    ...overrides,
  };
}

function eventFor(url: string, events: ('edit.succeeded' | 'edit.failed')[] = ['edit.succeeded']) {
  return jobEventFor(
    {
      ...jobRecordFactory({ id: newJobId(), status: 'succeeded', webhook: { url, events } }),
      version: 3,
    },
    new Date(),
  );
}

async function send(queueUrl: string, body: string): Promise<void> {
  await emulator.clients.sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }),
  );
}

/** What the Lambda SQS poller does: receive a batch and hand it over as an SQSEvent. */
async function poll(
  queueUrl: string,
  waitSeconds = 1,
): Promise<{ event: SQSEvent; messages: Message[] }> {
  const out = await emulator.clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      VisibilityTimeout: 180,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }),
  );
  const messages = out.Messages ?? [];
  return { event: { Records: messages.map(toRecord) }, messages };
}

function toRecord(message: Message): SQSRecord {
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
      SentTimestamp: '0',
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events',
    awsRegion: 'us-east-1',
  };
}

/** The poller's side of ReportBatchItemFailures: everything not reported failed is deleted. */
async function settle(queueUrl: string, messages: Message[], failed: string[]): Promise<void> {
  for (const message of messages) {
    if (failed.includes(message.MessageId ?? '')) continue;
    await emulator.clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle ?? '' }),
    );
  }
}

describe('webhook delivery Lambda handler on fauxqs', () => {
  it('reports only the records to retry or that do not parse as batch item failures', async () => {
    const { queueUrl } = await emulator.createQueuePair(8);
    const ok = await startReceiver([200]);
    const failing = await startReceiver([500]);
    receivers.push(ok, failing);
    const delivered = eventFor(`${ok.origin}/hook`);
    const retried = eventFor(`${failing.origin}/hook`);
    const skipped = eventFor(`${ok.origin}/hook`, ['edit.failed']);
    for (const event of [delivered, retried, skipped]) await send(queueUrl, JSON.stringify(event));
    await send(queueUrl, '{"not":"an event"}');
    const handler = createWebhookDeliveryHandler(deps(queueUrl, [ok.origin, failing.origin]));

    const { event, messages } = await poll(queueUrl);
    const response = await handler(event);
    const failed = response.batchItemFailures.map((item) => item.itemIdentifier);
    await settle(queueUrl, messages, failed);

    expect(messages).toHaveLength(4);
    const byBody = (id: string) => messages.find((m) => m.Body?.includes(id))?.MessageId;
    expect(failed.sort()).toEqual(
      [byBody(retried.id), messages.find((m) => m.Body?.includes('not'))?.MessageId].sort(),
    );
    expect(ok.received).toHaveLength(1);
    expect(
      verifyWebhook(ok.received[0]?.body ?? '', ok.received[0]?.headers ?? {}, SECRET).id,
    ).toBe(delivered.id);
    const log = new S3DeliveryLog({ client: emulator.clients.s3, bucket });
    expect((await log.read({ kind: 'edit', id: delivered.job.id }))?.deliveries[0]?.status).toBe(
      'succeeded',
    );
    const retry = (await log.read({ kind: 'edit', id: retried.job.id }))?.deliveries[0];
    expect(retry).toMatchObject({
      status: 'retrying',
      attempts: [{ statusCode: 500, outcome: 'retry' }],
    });
    // Counted from the end of the attempt: at least the 5 s wait after its start.
    const wait = Date.parse(retry?.nextAttemptAt ?? '') - Date.parse(retry?.attempts[0]?.at ?? '');
    expect(wait).toBeGreaterThanOrEqual(5_000);
    expect(wait).toBeLessThan(6_000);
    // The retry waits its 5 s on the queue (ChangeMessageVisibility), not in the Lambda.
    expect((await poll(queueUrl, 1)).messages).toHaveLength(0);
  });

  it('ends in the dead-letter queue when the receiver is down for every attempt of the round', async () => {
    const { queueUrl, deadLetterUrl } = await emulator.createQueuePair(2);
    const origin = await downOrigin();
    const event = eventFor(`${origin}/hook`);
    await send(queueUrl, JSON.stringify(event));
    const handler = createWebhookDeliveryHandler(
      deps(queueUrl, [origin], { maxAttempts: 2, delays: [1] }),
    );

    const first = await poll(queueUrl);
    const one = await handler(first.event);
    await settle(
      queueUrl,
      first.messages,
      one.batchItemFailures.map((f) => f.itemIdentifier),
    );
    const second = await poll(queueUrl, 3);
    const two = await handler(second.event);
    await settle(
      queueUrl,
      second.messages,
      two.batchItemFailures.map((f) => f.itemIdentifier),
    );
    const third = await poll(queueUrl, 1);
    const dead = await poll(deadLetterUrl, 1);

    expect(one.batchItemFailures).toHaveLength(1);
    expect(second.messages[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(two.batchItemFailures).toHaveLength(1);
    expect(third.messages).toHaveLength(0);
    expect(dead.messages.map((m) => JSON.parse(m.Body ?? '{}').id)).toEqual([event.id]);
    const delivery = (
      await new S3DeliveryLog({ client: emulator.clients.s3, bucket }).read({
        kind: 'edit',
        id: event.job.id,
      })
    )?.deliveries[0];
    expect(delivery).toMatchObject({ status: 'dead-lettered', nextAttemptAt: null });
    expect(delivery?.attempts.map((a) => [a.attempt, a.outcome, a.error?.reason])).toEqual([
      [1, 'retry', 'network'],
      [2, 'dead-lettered', 'network'],
    ]);
  });

  it('builds its dependencies from the environment, and refuses an environment without a secret', async () => {
    const { queueUrl } = await emulator.createQueuePair(8);
    const env = {
      VIBE_MODE: 'aws',
      VIBE_BUCKET: bucket,
      VIBE_EVENTS_QUEUE_URL: queueUrl,
      VIBE_AWS_REGION: 'us-east-1',
      VIBE_AWS_ENDPOINT_URL: emulator.endpoint,
    };

    const built = await buildDeliveryDeps({ ...env, VIBE_WEBHOOK_SECRET: SECRET });

    expect(built.queueUrl).toBe(queueUrl);
    expect(await built.secrets.keys()).toHaveLength(1);
    await expect(buildDeliveryDeps(env)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('Expected exactly one of VIBE_WEBHOOK_SECRET_ARN'),
    });
  });
});

describe('createExtensionSecretFetcher', () => {
  let server: Server;
  let port: number;
  const asked: { url: string; token: string | undefined }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      asked.push({
        url: request.url ?? '',
        token: request.headers['x-aws-parameters-secrets-token'] as string,
      });
      if ((request.url ?? '').includes('missing')) {
        response.writeHead(400);
        response.end('{"message":"not found"}');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ARN: 'arn', Name: 'hook', SecretString: SECRET }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reads SecretString with the session token, and reports a refusal as a dependency failure', async () => {
    const fetchSecret = createExtensionSecretFetcher(
      { host: '127.0.0.1', port },
      { AWS_SESSION_TOKEN: 'session-token' },
    );
    const arn = 'arn:aws:secretsmanager:us-east-1:1:secret:hook';

    const value = await fetchSecret(arn);

    expect(value).toBe(SECRET);
    expect(asked[0]).toEqual({
      url: `/secretsmanager/get?secretId=${encodeURIComponent(arn)}`,
      token: 'session-token',
    });
    await expect(fetchSecret('missing')).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      details: { status: 400 },
    });
  });
});
