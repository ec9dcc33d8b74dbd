import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { type AwsClients, createAwsClients } from '#core/aws/aws-clients.ts';
import { ENV } from '#core/config/env-names.ts';

/**
 * fauxqs 1.9.2 (S3 + SQS) in this process on 127.0.0.1 only (its `startFauxqs` binds 0.0.0.0), with
 * the resources the CDK stack creates: a bucket, one queue per lane with a dead-letter queue and a
 * redrive policy, and the events queue with its dead-letter queue.
 */
export interface FauxqsEmulator {
  readonly endpoint: string;
  readonly clients: AwsClients;
  /** A fresh bucket and set of queues, and the environment that names them (aws mode). */
  createStack(options: { readonly maxReceiveCount: number }): Promise<FauxqsStack>;
  close(): Promise<void>;
}

export interface FauxqsStack {
  readonly bucket: string;
  readonly queueUrls: { readonly interactive: string; readonly batch: string };
  readonly deadLetterUrls: { readonly interactive: string; readonly batch: string };
  readonly eventsUrl: string;
  /** VIBE_MODE=aws and every resource variable (core's ENV names). */
  readonly env: Readonly<Record<string, string>>;
}

/** Messages in a queue: visible, and in flight (received, not yet deleted). */
export async function queueDepth(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages ?? Number.NaN),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? Number.NaN),
  };
}

/**
 * Creates a bucket and the queues of one deployment on an S3/SQS endpoint (fauxqs in this process
 * or another), as the CDK stack does, and returns the environment that names them.
 */
export async function createFauxqsStack(
  clients: AwsClients,
  endpoint: string,
  options: { readonly maxReceiveCount: number },
): Promise<FauxqsStack> {
  const { s3, sqs } = clients;
  const { maxReceiveCount } = options;
  const queue = async (name: string, attributes?: Record<string, string>): Promise<string> => {
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        ...(attributes ? { Attributes: attributes } : {}),
      }),
    );
    return created.QueueUrl ?? '';
  };
  const queueWithDlq = async (name: string) => {
    const deadLetterUrl = await queue(`${name}-dlq`);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueUrl = await queue(name, {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount }),
    });
    return { queueUrl, deadLetterUrl };
  };
  const prefix = `vibe-${randomUUID().slice(0, 8)}`;
  const bucket = `${prefix}-bucket`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const interactive = await queueWithDlq(`${prefix}-interactive`);
  const batch = await queueWithDlq(`${prefix}-batch`);
  const events = await queueWithDlq(`${prefix}-events`);
  return {
    bucket,
    queueUrls: { interactive: interactive.queueUrl, batch: batch.queueUrl },
    deadLetterUrls: { interactive: interactive.deadLetterUrl, batch: batch.deadLetterUrl },
    eventsUrl: events.queueUrl,
    env: {
      [ENV.mode]: 'aws',
      [ENV.bucket]: bucket,
      [ENV.interactiveQueueUrl]: interactive.queueUrl,
      [ENV.batchQueueUrl]: batch.queueUrl,
      [ENV.eventsQueueUrl]: events.queueUrl,
      [ENV.awsRegion]: 'us-east-1',
      [ENV.awsEndpointUrl]: endpoint,
      [ENV.maxReceiveCount]: String(maxReceiveCount),
    },
  };
}

/** Clients for a local emulator: dummy credentials, us-east-1 (platform-notes §6). */
export function emulatorClients(endpoint: string): AwsClients {
  return createAwsClients({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

export async function startFauxqsEmulator(): Promise<FauxqsEmulator> {
  const app = buildApp({ logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients = emulatorClients(endpoint);
  return {
    endpoint,
    clients,
    createStack: (options) => createFauxqsStack(clients, endpoint, options),
    async close() {
      clients.s3.destroy();
      clients.sqs.destroy();
      await app.close();
    },
  };
}
