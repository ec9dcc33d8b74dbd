import type { AddressInfo } from 'node:net';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '#core/aws/aws-clients.ts';
import { S3BlobStore } from '#core/aws/s3-blob-store.ts';
import { S3JobStore } from '#core/aws/s3-job-store.ts';
import { createSqsEventQueue } from '#core/aws/sqs-event-queue.ts';
import { SqsJobQueue } from '#core/aws/sqs-job-queue.ts';
import { parseJobMessage } from '#core/jobs/job-message.ts';
import { uploadKey } from '#core/jobs/storage-keys.ts';
import type { ApiDeps } from '#functions/api/api-types.ts';
import { awsBatchPorts } from '#functions/api/batches/batch-ports.ts';
import { createBatchTaskRunnerFor } from '#functions/api/batches/batch-task-runner.ts';
import { createApiApp } from '#functions/api/create-api-app.ts';
import { call, jsonRequest } from '../../helpers/api-harness.ts';
import { pngImage } from '../../helpers/images.ts';

/**
 * Batches on the AWS adapters (S3 records, SQS task queue, SQS events) against fauxqs on
 * 127.0.0.1: the API creates, the task queue's Lambda handler (`handleSqsRecords`) fans out, and
 * a cancel ends the batch with its event on the events queue.
 */
let emulator: ReturnType<typeof buildApp>;
let clients: AwsClients;
let deps: ApiDeps;
let urls: { interactive: string; batch: string; events: string; tasks: string };

beforeAll(async () => {
  emulator = buildApp({ logger: false });
  await emulator.listen({ port: 0, host: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
  clients = createAwsClients({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await clients.s3.send(new CreateBucketCommand({ Bucket: 'vibe-batches' }));
  const queue = async (name: string) =>
    (await clients.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? '';
  urls = {
    interactive: await queue('interactive'),
    batch: await queue('batch'),
    events: await queue('events'),
    tasks: await queue('batch-tasks'),
  };
  const lane = (queueUrl: string) =>
    new SqsJobQueue({ client: clients.sqs, queueUrl, parse: parseJobMessage });
  deps = {
    blobs: new S3BlobStore({ client: clients.s3, bucket: 'vibe-batches' }),
    jobs: new S3JobStore({ client: clients.s3, bucket: 'vibe-batches' }),
    queues: { interactive: lane(urls.interactive), batch: lane(urls.batch) },
    events: createSqsEventQueue({ client: clients.sqs, queueUrl: urls.events }),
    batches: awsBatchPorts({
      s3: clients.s3,
      sqs: clients.sqs,
      bucket: 'vibe-batches',
      tasksQueueUrl: urls.tasks,
      eventsQueueUrl: urls.events,
    }),
    log: () => {},
  };
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
  return (out.Messages ?? []).map((message) => ({
    messageId: message.MessageId ?? '',
    body: message.Body ?? '',
  }));
}

describe('batches on S3 and SQS (fauxqs)', () => {
  it('creates, fans out through the task queue Lambda, and cancels with a batch.canceled event', async () => {
    const app = createApiApp(deps);
    const ticket = await call(app, jsonRequest('POST', '/v1/uploads', {}));
    await deps.blobs.put(uploadKey(ticket.json.uploadId), await pngImage(), {
      contentType: 'image/png',
    });
    const item = { image: { uploadId: ticket.json.uploadId }, instruction: 'make it winter' };

    const created = await call(
      app,
      jsonRequest('POST', '/v1/batches', { items: [item, item, { steps: 3 }] }),
    );
    const id: string = created.json.id;
    const tasks = await receive(urls.tasks);
    const lambda = await createBatchTaskRunnerFor(deps).handleSqsRecords([
      ...tasks,
      { messageId: 'broken', body: '{"v":2}' },
    ]);
    const laneMessages = await receive(urls.batch);
    const canceled = await call(app, jsonRequest('POST', `/v1/batches/${id}/cancel`));
    const view = await call(app, jsonRequest('GET', `/v1/batches/${id}`));
    const events = (await receive(urls.events)).map((message) => JSON.parse(message.body));

    expect(created.status).toBe(202);
    expect(created.json).toMatchObject({ items: 3, accepted: 2, lineErrors: { count: 1 } });
    expect(tasks.map((task) => JSON.parse(task.body))).toEqual([
      { v: 1, kind: 'fan-out', batchId: id, chunk: 0, traceId: expect.any(String) },
    ]);
    expect(lambda).toEqual({ batchItemFailures: [{ itemIdentifier: 'broken' }] });
    expect(laneMessages.map((m) => JSON.parse(m.body).jobId).sort()).toEqual([
      `${id}-1`,
      `${id}-2`,
    ]);
    expect(canceled.json).toMatchObject({
      canceled: { queued: 2, pending: 0, running: 0 },
      complete: true,
    });
    expect(view.json).toMatchObject({
      status: 'canceled',
      counts: { total: 3, canceled: 2, rejected: 1 },
      results: { url: expect.stringContaining(`batches/${id}/results.jsonl`), items: 3 },
    });
    expect(events.filter((event) => 'batch' in event)).toEqual([
      expect.objectContaining({ type: 'batch.canceled', batch: expect.objectContaining({ id }) }),
    ]);
  });
});
