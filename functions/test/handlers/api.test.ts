import type { AddressInfo } from 'node:net';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '#core/aws/aws-clients.ts';
import { ENV } from '#core/config/env-names.ts';
import { createApiHandler } from '#functions/handlers/api.ts';
import type { LambdaApiHandler } from '#functions/handlers/lambda-adapter.ts';
import { apiGatewayEventFactory } from '../helpers/api-gateway-event.ts';
import { pngImage, toDataUri } from '../helpers/images.ts';

/**
 * The Lambda entry point as deployed: configuration from the environment, S3 and SQS adapters,
 * against fauxqs (S3 + SQS protocol server) on 127.0.0.1.
 */
let emulator: ReturnType<typeof buildApp>;
let clients: AwsClients;
let handler: LambdaApiHandler;
let queueUrls: { interactive: string; batch: string; events: string };

beforeAll(async () => {
  emulator = buildApp({ logger: false });
  await emulator.listen({ port: 0, host: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
  clients = createAwsClients({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await clients.s3.send(new CreateBucketCommand({ Bucket: 'vibe-api-test' }));
  const queue = async (name: string) =>
    (await clients.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? '';
  queueUrls = {
    interactive: await queue('interactive'),
    batch: await queue('batch'),
    events: await queue('events'),
  };
  handler = createApiHandler(
    {
      [ENV.mode]: 'aws',
      [ENV.bucket]: 'vibe-api-test',
      [ENV.interactiveQueueUrl]: queueUrls.interactive,
      [ENV.batchQueueUrl]: queueUrls.batch,
      [ENV.eventsQueueUrl]: queueUrls.events,
      [ENV.awsEndpointUrl]: endpoint,
      [ENV.awsRegion]: 'us-east-1',
      // API keys on the Lambda are tested in functions/test/api/auth/lambda-keys.test.ts.
      [ENV.auth]: 'disabled',
    },
    clients,
  );
});

afterAll(async () => {
  clients.s3.destroy();
  clients.sqs.destroy();
  await emulator.close();
});

async function receive(queueUrl: string) {
  const out = await clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  return (out.Messages ?? []).map((message) => JSON.parse(message.Body ?? 'null'));
}

describe('the API Lambda on S3 and SQS (fauxqs)', () => {
  it('accepts an edit, queues its message and event, and reads it back', async () => {
    const body = JSON.stringify({
      image: { dataUri: toDataUri(await pngImage()) },
      instruction: 'make it winter',
    });

    const accepted = await handler(
      apiGatewayEventFactory({
        method: 'POST',
        path: '/v1/edits',
        headers: { 'content-type': 'application/json' },
        body,
      }),
    );
    const id = JSON.parse(accepted.body ?? '{}').id as string;
    const read = await handler(apiGatewayEventFactory({ path: `/v1/edits/${id}` }));

    expect(accepted.statusCode).toBe(202);
    expect(JSON.parse(read.body ?? '{}')).toMatchObject({
      id,
      status: 'queued',
      input: { width: 64, height: 48 },
    });
    expect(await receive(queueUrls.interactive)).toEqual([
      { v: 1, jobId: id, lane: 'interactive', traceId: 'apigw-req-1' },
    ]);
    expect(await receive(queueUrls.events)).toEqual([
      expect.objectContaining({ type: 'edit.queued' }),
    ]);
  });

  it('hands out a presigned S3 PUT without checksum parameters, and a submission uses the upload', async () => {
    const created = await handler(apiGatewayEventFactory({ method: 'POST', path: '/v1/uploads' }));
    const ticket = JSON.parse(created.body ?? '{}');

    const put = await fetch(ticket.url, { method: 'PUT', body: await pngImage(48, 48) });
    const submitted = await handler(
      apiGatewayEventFactory({
        method: 'POST',
        path: '/v1/edits',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          image: { uploadId: ticket.uploadId },
          instruction: 'add snow',
          lane: 'batch',
        }),
      }),
    );

    expect(created.statusCode).toBe(201);
    expect(new URL(ticket.url).searchParams.has('x-amz-checksum-crc32')).toBe(false);
    expect(ticket.url).not.toMatch(/x-amz-checksum|x-amz-sdk-checksum/i);
    expect(put.status).toBe(200);
    expect(submitted.statusCode).toBe(202);
    expect(await receive(queueUrls.batch)).toEqual([expect.objectContaining({ lane: 'batch' })]);
  });
});
