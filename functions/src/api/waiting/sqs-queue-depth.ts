import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { dependencyError } from '#core/aws/aws-errors.ts';
import type { Lane } from '#core/jobs/job-record.ts';
import type { QueueDepth } from './queue-position.ts';

/**
 * The depth of the SQS lane queues: ApproximateNumberOfMessages (visible messages; SQS says the
 * figure is approximate and may lag). One GetQueueAttributes call per read.
 */
export function sqsQueueDepth(
  client: SQSClient,
  queueUrls: Readonly<Record<Lane, string>>,
): QueueDepth {
  return async (lane) => {
    const queueUrl = queueUrls[lane];
    try {
      const out = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      const count = Number(out.Attributes?.ApproximateNumberOfMessages ?? 'NaN');
      if (!Number.isSafeInteger(count) || count < 0) {
        throw new Error(
          `ApproximateNumberOfMessages is ${String(out.Attributes?.ApproximateNumberOfMessages)}`,
        );
      }
      return count;
    } catch (error) {
      throw dependencyError('SQS GetQueueAttributes (lane depth)', error, { queueUrl });
    }
  };
}
