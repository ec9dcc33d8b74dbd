import { randomBytes, randomUUID } from 'node:crypto';
import type { JobMessage } from '#core/jobs/job-message.ts';
import type { Lane } from '#core/jobs/job-record.ts';
import type { OutboundUrlPolicy } from '#core/net/outbound-url.ts';
import type { BlobStore, EventQueue, JobQueue, JobStore } from '#core/ports.ts';
import type { WebhookDeliveryLog } from '#core/webhooks/delivery-log.ts';
import { createImageFetcher, type FetchImage } from '../fetch/image-fetcher.ts';
import { type ApiConfig, resolveApiConfig } from './api-config.ts';
import type { ApiDeps, Clock, IdSource, LogSink } from './api-types.ts';
import { type AccessControl, createAccessControl } from './auth/access-control.ts';
import { type BatchContext, createBatchContext } from './batches/batch-context.ts';
import { callDependency } from './dependency-call.ts';
import { defaultQueueDepth, type QueueDepth } from './waiting/queue-position.ts';

/** The resolved dependencies that route handlers and use cases share. */
export interface ApiContext {
  readonly blobs: BlobStore;
  readonly jobs: JobStore;
  readonly queues: Readonly<Record<Lane, JobQueue<JobMessage>>>;
  readonly events: EventQueue | undefined;
  readonly config: ApiConfig;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly fetchImage: FetchImage;
  readonly log: LogSink;
  /** Runs a store or queue call under the configured deadline (see callDependency). */
  dependency<T>(operation: string, run: () => Promise<T>): Promise<T>;
  /** API keys, per-key limits, idempotency records (auth/access-control.ts). */
  readonly access: AccessControl;
  /** Messages waiting in a lane, when known (waiting/queue-position.ts). */
  readonly queueDepth: QueueDepth | undefined;
  /** Batch store, task queue, tracker and limits, when batches are enabled (ApiDeps.batches). */
  readonly batches: BatchContext | undefined;
  /** Webhook delivery logs (ApiDeps.webhookDeliveries). */
  readonly webhookDeliveries: WebhookDeliveryLog | undefined;
  /** Outbound URL rules for webhook URLs (ApiDeps.outbound). */
  readonly outbound: OutboundUrlPolicy;
}

export const systemClock: Clock = { now: () => Date.now() };

export const randomIds: IdSource = {
  jobId: () => `job_${randomUUID().replaceAll('-', '')}`,
  uploadToken: () => randomBytes(16).toString('hex'),
  requestId: () => `req_${randomUUID().replaceAll('-', '')}`,
};

/** One JSON line per warning or error on stderr; info lines are dropped. */
export const stderrLog: LogSink = (entry) => {
  if (entry.level !== 'info') process.stderr.write(`${JSON.stringify(entry)}\n`);
};

export function createApiContext(deps: ApiDeps): ApiContext {
  const config = resolveApiConfig(deps.config);
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? stderrLog;
  const dependency: ApiContext['dependency'] = (operation, run) =>
    callDependency(operation, config.dependencyTimeoutMs, run);
  return {
    blobs: deps.blobs,
    jobs: deps.jobs,
    queues: deps.queues,
    events: deps.events,
    config,
    clock,
    ids: deps.ids ?? randomIds,
    fetchImage:
      deps.fetchImage ??
      createImageFetcher({
        ...config.imageFetch,
        allowHttpOrigins: deps.outbound?.allowOrigins ?? [],
      }),
    log,
    dependency,
    access: createAccessControl({
      keys: deps.keys,
      gateway: deps.keyGateway,
      idempotency: deps.idempotency,
      usage: deps.usage,
      jobs: deps.jobs,
      config: config.access,
      defaultOwner: config.owner,
      clock,
      log,
      dependency,
    }),
    queueDepth: deps.queueDepth ?? defaultQueueDepth(deps.queues),
    batches:
      deps.batches === undefined
        ? undefined
        : createBatchContext(deps.batches, { blobs: deps.blobs, clock }),
    webhookDeliveries: deps.webhookDeliveries,
    outbound: deps.outbound ?? {},
  };
}
