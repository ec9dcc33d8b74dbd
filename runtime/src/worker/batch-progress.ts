import { createAwsClients } from '#core/aws/aws-clients.ts';
import { S3BatchStore } from '#core/aws/s3-batch-store.ts';
import { SqsJobQueue } from '#core/aws/sqs-job-queue.ts';
import { BatchTracker } from '#core/batches/batch-tracker.ts';
import { FsBatchStore } from '#core/batches/fs-batch-store.ts';
import type { AppConfig } from '#core/config/parse-config.ts';
import { ConflictError, DependencyError } from '#core/errors.ts';
import type { JobEvent } from '#core/jobs/job-event.ts';
import { FsJobQueue } from '#core/local/fs-job-queue.ts';
import type { BlobStore, EventQueue } from '#core/ports.ts';
import {
  type BatchEvent,
  batchEventSchema,
  createBatchEventPublisher,
} from '#core/webhooks/batch-event.ts';
import { localDataLayout } from './service-ports.ts';
import { silentLog, type WorkerLog } from './worker-log.ts';

/**
 * The worker's part in batches (docs/batches.md): an EventQueue that, before it publishes the
 * state change of a job that belongs to a batch, writes that state into the batch records
 * (BatchTracker.recordJob). The worker publishes an event for every state change it writes, and
 * again for a terminal record whose message comes back, so every transition of a batch job passes
 * through here at least once.
 *
 * A tracker failure that may pass (a store outage, a race still lost after the store's retries)
 * fails the publish: the worker then releases the job's message instead of acking it, and the
 * next delivery finds the terminal record and publishes (and tracks) again. Any other failure is
 * logged and the event still goes out, so that a bug in batch tracking never holds back a job's
 * own webhook. Progress events (`edit.progress`) are not tracked.
 */
export function withBatchProgress(
  events: EventQueue,
  tracker: BatchTracker,
  log: WorkerLog = silentLog,
): EventQueue {
  return {
    receive: (options) => events.receive(options),
    publish: async (event: JobEvent) => {
      if (event.job.batchId !== null && event.type === `edit.${event.job.status}`) {
        try {
          await tracker.recordJob(event.job);
        } catch (error) {
          if (error instanceof DependencyError || error instanceof ConflictError) throw error;
          log.error('could not record the job in its batch; publishing its event anyway', {
            jobId: event.job.id,
            batchId: event.job.batchId,
            error,
          });
        }
      }
      await events.publish(event);
    },
  };
}

/**
 * The batch tracker of a worker process, on the configured storage: batch records beside the job
 * records (the local bucket folder or the S3 bucket), batch events onto the events queue.
 */
export function batchTrackerFor(config: AppConfig, blobs: BlobStore): BatchTracker {
  const storage = config.storage;
  if (storage.mode === 'local') {
    const layout = localDataLayout(storage.dataDir);
    return new BatchTracker({
      store: new FsBatchStore({ root: layout.bucket }),
      blobs,
      events: createBatchEventPublisher(
        new FsJobQueue<BatchEvent>({ dir: layout.events, parse: batchEventSchema.parse }),
      ),
    });
  }
  const { s3, sqs } = createAwsClients({ region: storage.region, endpoint: storage.endpoint });
  return new BatchTracker({
    store: new S3BatchStore({ client: s3, bucket: storage.bucket }),
    blobs,
    events: createBatchEventPublisher(
      new SqsJobQueue<BatchEvent>({
        client: sqs,
        queueUrl: storage.eventsQueueUrl,
        parse: batchEventSchema.parse,
      }),
    ),
  });
}
