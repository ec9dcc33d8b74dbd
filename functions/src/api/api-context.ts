import { randomBytes, randomUUID } from 'node:crypto';
import type { JobMessage } from '#core/jobs/job-message.ts';
import type { Lane } from '#core/jobs/job-record.ts';
import type { BlobStore, EventQueue, JobQueue, JobStore } from '#core/ports.ts';
import { createImageFetcher, type FetchImage } from '../fetch/image-fetcher.ts';
import { type ApiConfig, resolveApiConfig } from './api-config.ts';
import type { ApiDeps, Clock, IdSource, LogSink } from './api-types.ts';
import { callDependency } from './dependency-call.ts';

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
  return {
    blobs: deps.blobs,
    jobs: deps.jobs,
    queues: deps.queues,
    events: deps.events,
    config,
    clock: deps.clock ?? systemClock,
    ids: deps.ids ?? randomIds,
    fetchImage: deps.fetchImage ?? createImageFetcher(config.imageFetch),
    log: deps.log ?? stderrLog,
    dependency: (operation, run) => callDependency(operation, config.dependencyTimeoutMs, run),
  };
}
