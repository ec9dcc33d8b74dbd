import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { type AwsClients, createAwsClients } from '#core/aws/aws-clients.ts';
import { addConditionalPutShim } from './conditional-put-shim.ts';

/** fauxqs 1.9.2 (S3 + SQS) in this process, on 127.0.0.1 only, with clients pointed at it. */
export interface FauxqsEmulator {
  readonly endpoint: string;
  readonly clients: AwsClients;
  /** Creates a bucket with a unique name. */
  createBucket(): Promise<string>;
  /** Creates a queue and its dead-letter queue (RedrivePolicy with `maxReceiveCount`). */
  createQueuePair(maxReceiveCount: number): Promise<{ queueUrl: string; deadLetterUrl: string }>;
  close(): Promise<void>;
}

export interface FauxqsOptions {
  /**
   * Adds S3's documented If-Match / If-None-Match handling for PutObject, which fauxqs 1.9.2
   * ignores (docs/ports.md). Only for the job store's race tests.
   */
  readonly conditionalPuts?: boolean;
}

export async function startFauxqs(options: FauxqsOptions = {}): Promise<FauxqsEmulator> {
  // startFauxqs() binds 0.0.0.0; building the app and listening ourselves keeps it on loopback.
  const app = buildApp({ logger: false });
  if (options.conditionalPuts === true) addConditionalPutShim(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients = createAwsClients({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 18)}`;

  return {
    endpoint,
    clients,
    async createBucket() {
      const bucket = unique('vibe');
      await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async createQueuePair(maxReceiveCount) {
      const name = unique('jobs');
      const dlq = await clients.sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
      const deadLetterUrl = dlq.QueueUrl ?? '';
      const attributes = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }),
      );
      const queue = await clients.sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: attributes.Attributes?.QueueArn,
              maxReceiveCount,
            }),
          },
        }),
      );
      return { queueUrl: queue.QueueUrl ?? '', deadLetterUrl };
    },
    async close() {
      clients.s3.destroy();
      clients.sqs.destroy();
      await app.close();
    },
  };
}
