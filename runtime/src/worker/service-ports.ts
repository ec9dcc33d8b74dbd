import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { createAwsClients } from '#core/aws/aws-clients.ts';
import { S3BlobStore } from '#core/aws/s3-blob-store.ts';
import { S3JobStore } from '#core/aws/s3-job-store.ts';
import { createSqsEventQueue } from '#core/aws/sqs-event-queue.ts';
import { SqsJobQueue } from '#core/aws/sqs-job-queue.ts';
import type { AppConfig, AwsStorageConfig, LocalStorageConfig } from '#core/config/parse-config.ts';
import { type JobMessage, parseJobMessage } from '#core/jobs/job-message.ts';
import { LANES, type Lane } from '#core/jobs/job-record.ts';
import { FsBlobStore } from '#core/local/fs-blob-store.ts';
import { createFsEventQueue } from '#core/local/fs-event-queue.ts';
import { FsJobQueue } from '#core/local/fs-job-queue.ts';
import { FsJobStore } from '#core/local/fs-job-store.ts';
import type { BlobStore, EventQueue, JobQueue, JobStore } from '#core/ports.ts';

/** Every port of the job flow, built for one mode. */
export interface ServicePorts {
  readonly blobs: BlobStore;
  readonly store: JobStore;
  readonly events: EventQueue;
  readonly queues: Readonly<Record<Lane, JobQueue<JobMessage>>>;
}

/**
 * The local data folder, laid out like the AWS resources: `bucket/` holds what S3 holds (blobs
 * under `inputs/`, `outputs/`, `uploads/` and job records under `jobs/`), `queues/<lane>` and
 * `queues/events` are the SQS queues, each with a `-dlq` dead-letter folder beside it.
 * The local server must use the same layout (it shares the folder with the worker).
 */
export function localDataLayout(dataDir: string) {
  const root = resolve(dataDir);
  return {
    bucket: join(root, 'bucket'),
    laneQueue: (lane: Lane) => join(root, 'queues', lane),
    laneDeadLetter: (lane: Lane) => join(root, 'queues', `${lane}-dlq`),
    events: join(root, 'queues', 'events'),
    eventsDeadLetter: join(root, 'queues', 'events-dlq'),
  } as const;
}

export interface ServicePortsOptions {
  /** Called for a queue message that no longer parses (it is left to the dead-letter queue). */
  readonly onInvalidMessage?: (error: unknown, messageId: string) => void;
}

/** Builds the ports for `config.mode`: folders under the data dir, or S3 and SQS. */
export function createServicePorts(
  config: AppConfig,
  options: ServicePortsOptions = {},
): ServicePorts {
  return config.storage.mode === 'local'
    ? localPorts(config, config.storage, options)
    : awsPorts(config.storage, options);
}

function localPorts(
  config: AppConfig,
  storage: LocalStorageConfig,
  options: ServicePortsOptions,
): ServicePorts {
  const layout = localDataLayout(storage.dataDir);
  const { maxReceiveCount } = config.worker;
  const invalid =
    options.onInvalidMessage === undefined ? {} : { onInvalidMessage: options.onInvalidMessage };
  const laneQueue = (lane: Lane) =>
    new FsJobQueue<JobMessage>({
      dir: layout.laneQueue(lane),
      parse: parseJobMessage,
      deadLetter: { dir: layout.laneDeadLetter(lane), maxReceiveCount },
      ...invalid,
    });
  return {
    blobs: new FsBlobStore({
      root: layout.bucket,
      baseUrl: config.api.publicBaseUrl,
      // The worker never signs URLs; a process without the configured secret gets a random one.
      signingSecret: config.api.urlSigningSecret ?? randomBytes(32),
    }),
    store: new FsJobStore({ root: layout.bucket }),
    events: createFsEventQueue({
      dir: layout.events,
      deadLetter: { dir: layout.eventsDeadLetter, maxReceiveCount },
      ...invalid,
    }),
    queues: lanesRecord(laneQueue),
  };
}

function awsPorts(storage: AwsStorageConfig, options: ServicePortsOptions): ServicePorts {
  const { s3, sqs } = createAwsClients({ region: storage.region, endpoint: storage.endpoint });
  const invalid =
    options.onInvalidMessage === undefined ? {} : { onInvalidMessage: options.onInvalidMessage };
  return {
    blobs: new S3BlobStore({ client: s3, bucket: storage.bucket }),
    store: new S3JobStore({ client: s3, bucket: storage.bucket }),
    events: createSqsEventQueue({ client: sqs, queueUrl: storage.eventsQueueUrl, ...invalid }),
    queues: lanesRecord(
      (lane) =>
        new SqsJobQueue<JobMessage>({
          client: sqs,
          queueUrl: storage.queueUrls[lane],
          parse: parseJobMessage,
          ...invalid,
        }),
    ),
  };
}

function lanesRecord<T>(make: (lane: Lane) => T): Readonly<Record<Lane, T>> {
  return Object.fromEntries(LANES.map((lane) => [lane, make(lane)])) as Record<Lane, T>;
}
