import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsJobQueue } from '#core/aws/sqs-job-queue.ts';
import { type JobMessage, parseJobMessage } from '#core/jobs/job-message.ts';
import { describeJobQueueContract } from '#core/testing/job-queue-contract.ts';
import { type FauxqsEmulator, startFauxqs } from '../helpers/fauxqs-emulator.ts';

let emulator: FauxqsEmulator;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  emulator = await startFauxqs();
});
afterAll(() => emulator.close());

function queueOn(queueUrl: string, onInvalidMessage?: (error: unknown, id: string) => void) {
  return new SqsJobQueue<JobMessage>({
    client: emulator.clients.sqs,
    queueUrl,
    parse: parseJobMessage,
    ...(onInvalidMessage === undefined ? {} : { onInvalidMessage }),
  });
}

describeJobQueueContract('SqsJobQueue on fauxqs 1.9.2 (real clock)', async () => {
  const { queueUrl, deadLetterUrl } = await emulator.createQueuePair(2);
  return {
    queue: queueOn(queueUrl),
    deadLetter: queueOn(deadLetterUrl),
    maxReceiveCount: 2,
    advance: sleep,
  };
});

describe('SqsJobQueue', () => {
  it('skips and reports a message whose body does not parse, leaving it to the redrive policy', async () => {
    const { queueUrl } = await emulator.createQueuePair(2);
    const reported: string[] = [];
    const queue = queueOn(queueUrl, (_error, id) => reported.push(id));
    await emulator.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"v":9}' }),
    );

    const leases = await queue.receive({ maxMessages: 1, waitSeconds: 0, leaseSeconds: 30 });

    expect(leases).toEqual([]);
    expect(reported).toHaveLength(1);
  });

  it('maps a missing queue to a retryable DependencyError that keeps the SDK error', async () => {
    const queue = queueOn(`${emulator.endpoint}/000000000000/does-not-exist`);

    const failure = queue.receive({ maxMessages: 1, waitSeconds: 0, leaseSeconds: 1 });

    await expect(failure).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      retryable: true,
    });
    await expect(failure).rejects.toHaveProperty('cause.name', 'QueueDoesNotExist');
  });
});
