import { join, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { S3BatchStore } from '#core/aws/s3-batch-store.ts';
import { SqsJobQueue } from '#core/aws/sqs-job-queue.ts';
import { type BatchTask, parseBatchTask } from '#core/batches/batch-task.ts';
import { FsBatchStore } from '#core/batches/fs-batch-store.ts';
import { FsJobQueue } from '#core/local/fs-job-queue.ts';
import {
  type BatchEvent,
  batchEventSchema,
  createBatchEventPublisher,
} from '#core/webhooks/batch-event.ts';
import type { BatchLimits, BatchPorts } from './batch-context.ts';

/**
 * The batch ports of a composition root (ApiDeps.batches). Batch records live in the bucket beside
 * the job records; tasks have their own queue; batch events go to the events queue, where the
 * webhook deliverer reads them with job events (core/src/webhooks/service-event.ts).
 */

export interface LocalBatchPortsOptions {
  /** The local bucket folder (job records and blobs): batch records go under `batches/`. */
  readonly bucketDir: string;
  /** The task queue folder, e.g. `<data>/queues/batch-tasks`. */
  readonly tasksDir: string;
  /** Its dead-letter folder and redrive count, as for the lanes. */
  readonly deadLetter?: { readonly dir: string; readonly maxReceiveCount: number };
  /** The events queue folder (`<data>/queues/events`). Without it, no batch event is published. */
  readonly eventsDir?: string;
  readonly limits?: Partial<BatchLimits>;
  readonly onInvalidMessage?: (error: unknown, messageId: string) => void;
}

export function localBatchPorts(options: LocalBatchPortsOptions): BatchPorts {
  const invalid =
    options.onInvalidMessage === undefined ? {} : { onInvalidMessage: options.onInvalidMessage };
  return {
    store: new FsBatchStore({ root: options.bucketDir }),
    tasks: new FsJobQueue<BatchTask>({
      dir: options.tasksDir,
      parse: parseBatchTask,
      ...(options.deadLetter === undefined ? {} : { deadLetter: options.deadLetter }),
      ...invalid,
    }),
    events:
      options.eventsDir === undefined
        ? undefined
        : createBatchEventPublisher(
            new FsJobQueue<BatchEvent>({ dir: options.eventsDir, parse: batchEventSchema.parse }),
          ),
    limits: options.limits,
  };
}

export interface AwsBatchPortsOptions {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly bucket: string;
  /** The batch task queue (with a dead-letter queue and a Lambda consumer; docs/batches.md). */
  readonly tasksQueueUrl: string;
  /** VIBE_EVENTS_QUEUE_URL. Without it, no batch event is published. */
  readonly eventsQueueUrl?: string;
  readonly limits?: Partial<BatchLimits>;
}

export function awsBatchPorts(options: AwsBatchPortsOptions): BatchPorts {
  const { s3, sqs } = options;
  return {
    store: new S3BatchStore({ client: s3, bucket: options.bucket }),
    tasks: new SqsJobQueue<BatchTask>({
      client: sqs,
      queueUrl: options.tasksQueueUrl,
      parse: parseBatchTask,
    }),
    events:
      options.eventsQueueUrl === undefined
        ? undefined
        : createBatchEventPublisher(
            new SqsJobQueue<BatchEvent>({
              client: sqs,
              queueUrl: options.eventsQueueUrl,
              parse: batchEventSchema.parse,
            }),
          ),
    limits: options.limits,
  };
}

/**
 * The batch ports of local mode under its data folder, in the layout of
 * runtime/src/worker/service-ports.ts (`bucket/`, `queues/<name>` with `queues/<name>-dlq`): batch
 * records in the bucket, tasks in `queues/batch-tasks`, events in `queues/events`.
 */
export function localModeBatchPorts(
  dataDir: string,
  options: { readonly maxReceiveCount: number; readonly limits?: Partial<BatchLimits> },
): BatchPorts {
  const root = resolve(dataDir);
  return localBatchPorts({
    bucketDir: join(root, 'bucket'),
    tasksDir: join(root, 'queues', 'batch-tasks'),
    deadLetter: {
      dir: join(root, 'queues', 'batch-tasks-dlq'),
      maxReceiveCount: options.maxReceiveCount,
    },
    eventsDir: join(root, 'queues', 'events'),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
}
