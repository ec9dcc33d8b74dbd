/**
 * The API with batches on the local adapters of one test (api-harness.ts's stores), plus the batch
 * task runner on the same stores and readers of what the batch wrote.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import sharp from 'sharp';
import type { BatchChunk, BatchRecord } from '#core/batches/batch-record.ts';
import { type BatchTask, parseBatchTask } from '#core/batches/batch-task.ts';
import { BatchTracker } from '#core/batches/batch-tracker.ts';
import { FsBatchStore } from '#core/batches/fs-batch-store.ts';
import { RequestError } from '#core/errors.ts';
import { uploadKey } from '#core/jobs/storage-keys.ts';
import { FsJobQueue } from '#core/local/fs-job-queue.ts';
import {
  type BatchEvent,
  batchEventSchema,
  createBatchEventPublisher,
} from '#core/webhooks/batch-event.ts';
import { parseServiceEvent, type ServiceEvent } from '#core/webhooks/service-event.ts';
import type { ApiConfigInput } from '#functions/api/api-config.ts';
import { createApiContext } from '#functions/api/api-context.ts';
import type { ApiDeps, ApiRequest, LogEntry } from '#functions/api/api-types.ts';
import type { BatchContext, BatchLimits } from '#functions/api/batches/batch-context.ts';
import {
  type BatchTaskRunner,
  createBatchTaskRunner,
} from '#functions/api/batches/batch-task-runner.ts';
import { createApiApp } from '#functions/api/create-api-app.ts';
import type { PipelineRequest, PipelineResult } from '#runtime/pipeline/pipeline-types.ts';
import type { Engine, ModelInfo } from '#runtime/worker/engine.ts';
import {
  call,
  createLocalStores,
  jsonRequest,
  type LocalStores,
} from '../../helpers/api-harness.ts';
import { pngImage } from '../../helpers/images.ts';

export interface BatchHarnessOptions {
  readonly limits?: Partial<BatchLimits>;
  readonly config?: ApiConfigInput;
  /** Replaces ports of the app and of the task runner, e.g. with failing ones. */
  readonly wrap?: (deps: ApiDeps) => ApiDeps;
  /** Without batch ports: the routes answer 404. */
  readonly disabled?: boolean;
}

export function createBatchHarness(root: string, options: BatchHarnessOptions = {}) {
  const stores: LocalStores = createLocalStores(root);
  const logs: LogEntry[] = [];
  const batchStore = new FsBatchStore({ root: join(root, 'store') });
  const tasks = new FsJobQueue<BatchTask>({
    dir: join(root, 'batch-tasks'),
    parse: parseBatchTask,
    now: stores.clock.now,
  });
  // Batch events go to the events folder, where the deliverer reads both kinds.
  const batchEvents = createBatchEventPublisher(
    new FsJobQueue<BatchEvent>({
      dir: join(root, 'events'),
      parse: batchEventSchema.parse,
      now: stores.clock.now,
    }),
  );
  let serial = 0;
  const deps: ApiDeps = {
    blobs: stores.blobs,
    jobs: stores.jobs,
    queues: stores.queues,
    events: stores.events,
    clock: stores.clock,
    // Upload ids keep 24 random digits of the token (auth/upload-owner.ts): random, not serial.
    ids: { ...stores.ids, uploadToken: () => randomBytes(16).toString('hex') },
    log: (entry) => logs.push(entry),
    config: options.config,
    // No network in tests: every image URL fails to download, as an unreachable host would.
    fetchImage: async (url) => {
      throw new RequestError(
        'IMAGE_FETCH_FAILED',
        `Expected to download ${url} but the test has no network`,
      );
    },
    ...(options.disabled === true
      ? {}
      : {
          batches: {
            store: batchStore,
            tasks,
            events: batchEvents,
            limits: options.limits,
            newBatchId: () => `bat_${(++serial).toString(16).padStart(32, '0')}`,
          },
        }),
  };
  const wrapped = options.wrap === undefined ? deps : options.wrap(deps);
  const app = createApiApp(wrapped);
  const ctx = createApiContext(wrapped);
  const batches = ctx.batches as BatchContext;
  // Without batches (`disabled`) there is nothing to run.
  const runner: BatchTaskRunner =
    ctx.batches === undefined ? ({} as BatchTaskRunner) : createBatchTaskRunner(ctx, batches);
  const eventReader = new FsJobQueue<ServiceEvent>({
    dir: join(root, 'events'),
    parse: parseServiceEvent,
    now: stores.clock.now,
  });
  const tracker = new BatchTracker({
    store: batchStore,
    blobs: stores.blobs,
    events: batchEvents,
    now: stores.clock.now,
  });

  return {
    ...stores,
    app,
    logs,
    batchStore,
    tasks,
    runner,
    tracker,
    batchEvents,

    /** POST /v1/batches with a JSON body; `principal` acts as another owner. */
    create: (body: unknown, principal?: string, headers: Record<string, string> = {}) =>
      call(app, as(jsonRequest('POST', '/v1/batches', body, headers), principal)),

    get: (id: string, query: Record<string, string> = {}, principal?: string) =>
      call(app, as({ ...jsonRequest('GET', `/v1/batches/${id}`), query }, principal)),

    cancel: (id: string, principal?: string) =>
      call(app, as(jsonRequest('POST', `/v1/batches/${id}/cancel`), principal)),

    /** An upload id of this owner with `bytes` stored under it (POST /v1/uploads, then the PUT). */
    async upload(
      bytes: Uint8Array,
      contentType = 'image/png',
      principal?: string,
    ): Promise<string> {
      const ticket = await call(app, as(jsonRequest('POST', '/v1/uploads', {}), principal));
      const uploadId = String(ticket.json.uploadId);
      await stores.blobs.put(uploadKey(uploadId), bytes, { contentType });
      return uploadId;
    },

    /** Uploads a JSONL manifest made of `lines` (strings as they are, objects as JSON). */
    async manifest(lines: readonly (string | object)[], ending = '\n'): Promise<string> {
      const text = lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line)));
      return this.upload(
        new TextEncoder().encode(text.join(ending) + ending),
        'application/x-ndjson',
      );
    },

    async batch(id: string): Promise<BatchRecord> {
      const record = await batchStore.get(id);
      if (record === undefined) throw new Error(`Expected batch ${id} to exist`);
      return record;
    },

    async chunks(id: string): Promise<BatchChunk[]> {
      const record = await this.batch(id);
      return Promise.all(
        record.chunks.map(async (summary) => {
          const chunk = await batchStore.getChunk(id, summary.index);
          if (chunk === undefined) throw new Error(`Expected chunk ${summary.index}`);
          return chunk;
        }),
      );
    },

    async taskDepth(): Promise<number> {
      const { visible, hidden } = await tasks.depth();
      return visible + hidden;
    },

    /** Every event on the events queue (acked as read). */
    async drainEvents(): Promise<ServiceEvent[]> {
      const out: ServiceEvent[] = [];
      for (;;) {
        const leases = await eventReader.receive({
          maxMessages: 10,
          waitSeconds: 0,
          leaseSeconds: 30,
        });
        if (leases.length === 0) return out;
        for (const lease of leases) {
          out.push(lease.message);
          await lease.ack();
        }
      }
    },
  };
}

export type BatchHarness = ReturnType<typeof createBatchHarness>;

/** The request as sent by another owner (the gateway's principal while keys are disabled). */
function as(request: ApiRequest, principal: string | undefined): ApiRequest {
  return principal === undefined ? request : { ...request, principal };
}

/** A valid inline item with an upload image. */
export function item(uploadId: string, fields: Record<string, unknown> = {}) {
  return { image: { uploadId }, instruction: 'make it winter', ...fields };
}

export const FAKE_MODEL: ModelInfo = {
  name: 'fake-vibe',
  version: '0.0.1',
  synthetic: true,
  notice: 'a fake engine for batch tests',
  precision: 'float32',
};

/**
 * An engine that "edits" by returning a small PNG after reporting its steps. `fail` picks requests
 * (by instruction) that fail with a permanent error.
 */
export function fakeEngine(
  fail: (request: PipelineRequest) => Error | undefined = () => undefined,
): Engine & { readonly calls: PipelineRequest[] } {
  const calls: PipelineRequest[] = [];
  return {
    calls,
    start: async () => FAKE_MODEL,
    close: async () => {},
    async edit(request, options): Promise<PipelineResult> {
      calls.push(request);
      const failure = fail(request);
      if (failure !== undefined) throw failure;
      const steps = request.steps ?? 2;
      for (let step = 1; step <= steps; step++) options.onProgress?.({ step, steps });
      const image = await sharp({
        create: { width: 32, height: 24, channels: 3, background: { r: 10, g: 20, b: 30 } },
      })
        .png()
        .toBuffer();
      return {
        image,
        width: 32,
        height: 24,
        format: request.output?.format ?? 'png',
        bin: { width: 1024, height: 768 },
        steps,
        seed: request.seed ?? 42,
        guidance: { mode: 'full', guidanceScale: 4.5, imageGuidanceScale: 1.2 },
        sizeMode: request.sizeMode ?? 'aligned',
        model: { name: FAKE_MODEL.name, version: FAKE_MODEL.version, synthetic: true },
        timings: { stages: {}, graphMs: 0, hostMs: 0, totalMs: 0 },
      };
    },
  };
}

export { pngImage };
