import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DLQ_RETENTION_DAYS } from '../lane-plan.ts';

export interface DeadLetteredQueueProps {
  /** Visibility timeout = the consumer's lease on a received message, seconds. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the dead-letter queue (at least 2: one receive is not a retry). */
  readonly maxReceiveCount: number;
  /** Days an unreceived message is kept (1 to 14). */
  readonly retentionDays: number;
  /** Default long-poll wait of ReceiveMessage, seconds. @default 20 */
  readonly receiveWaitSeconds?: number;
}

/**
 * A work queue with its own dead-letter queue: SSE with SQS-managed keys, TLS only, the DLQ keeping
 * messages for 14 days (longer than any source queue, since SQS keeps the original enqueue time).
 * Used for each lane's job queue and for the events queue.
 */
export class DeadLetteredQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: DeadLetteredQueueProps) {
    super(scope, id);
    this.maxReceiveCount = props.maxReceiveCount;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetter', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(DLQ_RETENTION_DAYS),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(props.retentionDays),
      receiveMessageWaitTime: Duration.seconds(props.receiveWaitSeconds ?? 20),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
