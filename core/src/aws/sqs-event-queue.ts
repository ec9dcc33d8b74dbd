import type { SQSClient } from '@aws-sdk/client-sqs';
import { QueueEventQueue } from '../events/queue-event-queue.ts';
import { parseJobEvent } from '../jobs/job-event.ts';
import { SqsJobQueue } from './sqs-job-queue.ts';

/** The AWS event queue: an SQS queue (with its own dead-letter queue) of validated job events. */
export function createSqsEventQueue(options: {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly onInvalidMessage?: (error: unknown, messageId: string) => void;
}): QueueEventQueue {
  return new QueueEventQueue(new SqsJobQueue({ ...options, parse: parseJobEvent }));
}
