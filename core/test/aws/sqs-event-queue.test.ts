import { afterAll, beforeAll } from 'vitest';
import { createSqsEventQueue } from '#core/aws/sqs-event-queue.ts';
import { describeEventQueueContract } from '#core/testing/event-queue-contract.ts';
import { type FauxqsEmulator, startFauxqs } from '../helpers/fauxqs-emulator.ts';

let emulator: FauxqsEmulator;

beforeAll(async () => {
  emulator = await startFauxqs();
});
afterAll(() => emulator.close());

describeEventQueueContract('SQS event queue on fauxqs 1.9.2 (real clock)', async () => {
  const { queueUrl } = await emulator.createQueuePair(5);
  return {
    events: createSqsEventQueue({ client: emulator.clients.sqs, queueUrl }),
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
});
