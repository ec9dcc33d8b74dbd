import type { AddressInfo } from 'node:net';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '#core/aws/aws-clients.ts';
import { createS3AccessStores } from '#core/aws/s3-access-stores.ts';
import { ENV } from '#core/config/env-names.ts';
import { createKey } from '#functions/admin/keys-command.ts';
import { sqsQueueDepth } from '#functions/api/waiting/sqs-queue-depth.ts';
import { createApiHandler } from '#functions/handlers/api.ts';
import type { LambdaApiHandler } from '#functions/handlers/lambda-adapter.ts';
import { apiGatewayEventFactory } from '../../helpers/api-gateway-event.ts';
import { pngImage, toDataUri } from '../../helpers/images.ts';

/** The deployed Lambda (keys required by default) on S3 and SQS (fauxqs on 127.0.0.1). */
let emulator: ReturnType<typeof buildApp>;
let clients: AwsClients;
let handler: LambdaApiHandler;
let token: string;
let queueUrls: { interactive: string; batch: string };

beforeAll(async () => {
  emulator = buildApp({ logger: false });
  await emulator.listen({ port: 0, host: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
  clients = createAwsClients({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await clients.s3.send(new CreateBucketCommand({ Bucket: 'vibe-keys-test' }));
  const queue = async (name: string) =>
    (await clients.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? '';
  queueUrls = { interactive: await queue('keys-interactive'), batch: await queue('keys-batch') };
  const created = await createKey(
    createS3AccessStores({ client: clients.s3, bucket: 'vibe-keys-test' }).keys,
    { name: 'lambda' },
  );
  token = created.token;
  handler = createApiHandler(
    {
      [ENV.mode]: 'aws',
      [ENV.bucket]: 'vibe-keys-test',
      [ENV.interactiveQueueUrl]: queueUrls.interactive,
      [ENV.batchQueueUrl]: queueUrls.batch,
      [ENV.eventsQueueUrl]: await queue('keys-events'),
      [ENV.awsEndpointUrl]: endpoint,
      [ENV.awsRegion]: 'us-east-1',
    },
    clients,
  );
});

afterAll(async () => {
  clients.s3.destroy();
  clients.sqs.destroy();
  await emulator.close();
});

describe('the API Lambda with API keys in the bucket', () => {
  it('requires a bearer key by default, owns jobs by key id and reads the SQS lane depth', async () => {
    const body = JSON.stringify({
      image: { dataUri: toDataUri(await pngImage()) },
      instruction: 'make it winter',
    });
    const post = (headers: Record<string, string>) =>
      handler(
        apiGatewayEventFactory({
          method: 'POST',
          path: '/v1/edits',
          headers: { 'content-type': 'application/json', ...headers },
          body,
        }),
      );

    const anonymous = await post({});
    const keyed = await post({ Authorization: `Bearer ${token}`, 'Idempotency-Key': 'lambda-1' });
    const replayed = await post({
      Authorization: `Bearer ${token}`,
      'Idempotency-Key': 'lambda-1',
    });
    const { id } = JSON.parse(keyed.body);
    const read = await handler(
      apiGatewayEventFactory({
        method: 'GET',
        path: `/v1/edits/${id}`,
        headers: { authorization: `Bearer ${token}` },
      }),
    );

    expect(anonymous.statusCode).toBe(401);
    expect(JSON.parse(anonymous.body).error.details.reason).toBe('missing');
    expect(keyed.statusCode).toBe(202);
    expect(JSON.parse(replayed.body).id).toBe(id);
    expect(read.statusCode).toBe(200);
    expect(JSON.parse(read.body).queue).toEqual({ position: 1, ahead: 0, waiting: 1 });
    expect(await sqsQueueDepth(clients.sqs, queueUrls)('interactive')).toBe(1);
  });
});
