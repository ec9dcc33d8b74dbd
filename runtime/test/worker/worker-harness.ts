/**
 * A job flow on the local adapters in a temporary folder, for the worker's tests: blob store, job
 * store, lane queues with dead-letter queues, and the event queue, plus helpers to submit a job the
 * way the API does (input blob, queued record, message) and to read back what the worker did.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll } from 'vitest';
import type { JobEvent } from '#core/jobs/job-event.ts';
import { type JobMessage, parseJobMessage } from '#core/jobs/job-message.ts';
import type { JobRecord, Lane, NewJobRecord } from '#core/jobs/job-record.ts';
import { inputKey } from '#core/jobs/storage-keys.ts';
import { FsBlobStore } from '#core/local/fs-blob-store.ts';
import { createFsEventQueue } from '#core/local/fs-event-queue.ts';
import { FsJobQueue } from '#core/local/fs-job-queue.ts';
import { FsJobStore } from '#core/local/fs-job-store.ts';
import type { BlobStore, JobQueue, JobStore, Lease } from '#core/ports.ts';
import { jobMessageFactory, jobRecordFactory, newJobId } from '#core/testing/job-factory.ts';

/** Call at the top of a test file: a temporary root removed after the file's last test. */
export function useTempRoot(prefix: string): () => string {
  const root = mkdtempSync(join(tmpdir(), `vibe-${prefix}-`));
  afterAll(() => rm(root, { recursive: true, force: true }));
  return () => join(root, randomUUID());
}

/** A 48×40 PNG of a flat colour: a valid input for fakes and for the tiny bundle. */
export function samplePng(width = 48, height = 40): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 90, g: 140, b: 200 } } })
    .png()
    .toBuffer();
}

export interface FlowOptions {
  /** The queues' redrive policy. @default 5 */
  readonly maxReceiveCount?: number;
  /** The queues' clock (fake time for backoff tests). @default Date.now */
  readonly now?: () => number;
}

export type Flow = ReturnType<typeof createFlow>;

/** Fresh local adapters under `dir`. */
export function createFlow(dir: string, options: FlowOptions = {}) {
  const maxReceiveCount = options.maxReceiveCount ?? 5;
  const clock = options.now === undefined ? {} : { now: options.now };
  const laneQueue = (lane: Lane) =>
    new FsJobQueue<JobMessage>({
      dir: join(dir, 'queues', lane),
      parse: parseJobMessage,
      deadLetter: { dir: join(dir, 'queues', `${lane}-dlq`), maxReceiveCount },
      pollIntervalMs: 20,
      ...clock,
    });
  const deadLetter = (lane: Lane) =>
    new FsJobQueue<JobMessage>({ dir: join(dir, 'queues', `${lane}-dlq`), parse: parseJobMessage });
  const blobs = new FsBlobStore({
    root: join(dir, 'bucket'),
    baseUrl: 'http://127.0.0.1:8787',
    signingSecret: 'test-secret-of-enough-length-0123456789',
  });
  const store = new FsJobStore({ root: join(dir, 'bucket') });
  const events = createFsEventQueue({ dir: join(dir, 'queues', 'events') });
  const queues = { interactive: laneQueue('interactive'), batch: laneQueue('batch') } as const;

  return {
    dir,
    blobs,
    store,
    events,
    queues,
    deadLetters: { interactive: deadLetter('interactive'), batch: deadLetter('batch') },

    /** Submits a job as the API does: input blob, queued record, message. */
    submit: (overrides: Partial<NewJobRecord> = {}, input?: Uint8Array) =>
      submitJob({ blobs, store, queues }, overrides, input),

    /** Receives one lease from a lane (no long poll). */
    async receive(lane: Lane = 'interactive', leaseSeconds = 30): Promise<Lease<JobMessage>> {
      const [lease] = await queues[lane].receive({ maxMessages: 1, waitSeconds: 1, leaseSeconds });
      if (lease === undefined)
        throw new Error(`Expected a message on the ${lane} lane but none came`);
      return lease;
    },

    async record(id: string): Promise<JobRecord> {
      const job = await store.get(id);
      if (job === undefined) throw new Error(`Expected job ${id} to exist`);
      return job;
    },

    /** Every event published so far (acked as read). */
    async drainEvents(): Promise<JobEvent[]> {
      const out: JobEvent[] = [];
      for (;;) {
        const leases = await events.receive({ maxMessages: 10, waitSeconds: 0, leaseSeconds: 30 });
        if (leases.length === 0) return out;
        for (const lease of leases) {
          out.push(lease.message);
          await lease.ack();
        }
      }
    },

    /** The keys stored under `outputs/`. */
    async outputs(): Promise<string[]> {
      try {
        return (await readdir(join(dir, 'bucket', 'outputs'))).map((name) => `outputs/${name}`);
      } catch (error) {
        if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return [];
        throw error;
      }
    },
  };
}

/** Submits a job as the API does: input blob, then the queued record, then the message. */
export async function submitJob(
  ports: {
    readonly blobs: BlobStore;
    readonly store: JobStore;
    readonly queues: Readonly<Record<Lane, JobQueue<JobMessage>>>;
  },
  overrides: Partial<NewJobRecord> = {},
  input?: Uint8Array,
): Promise<{ job: JobRecord; message: JobMessage }> {
  const id = overrides.id ?? newJobId();
  const bytes = input ?? (await samplePng());
  await ports.blobs.put(inputKey(id), bytes, { contentType: 'image/png' });
  const job = await ports.store.create(
    jobRecordFactory({
      id,
      input: { key: inputKey(id), width: 48, height: 40, format: 'png', sha256: 'b'.repeat(64) },
      parameters: {
        steps: 4,
        guidanceScale: 4.5,
        imageGuidanceScale: 1.2,
        seed: 7,
        sizeMode: 'aligned',
        output: { format: 'png' },
      },
      timestamps: { createdAt: new Date().toISOString(), startedAt: null, completedAt: null },
      ...overrides,
    }),
  );
  const message = jobMessageFactory({ jobId: id, lane: job.lane });
  await ports.queues[job.lane].send(message);
  return { job, message };
}

/** A lease that forwards to `inner` and records what the worker did with it. */
export function spyLease<T>(
  inner: Lease<T>,
  overrides: { readonly extend?: (seconds: number) => Promise<void> } = {},
) {
  const calls = { extend: [] as number[], release: [] as number[], ack: 0 };
  const lease: Lease<T> = {
    messageId: inner.messageId,
    message: inner.message,
    attempt: inner.attempt,
    receivedAt: inner.receivedAt,
    ack: async () => {
      calls.ack += 1;
      await inner.ack();
    },
    extend: async (seconds) => {
      calls.extend.push(seconds);
      await (overrides.extend ?? ((s: number) => inner.extend(s)))(seconds);
    },
    release: async (delaySeconds) => {
      calls.release.push(delaySeconds);
      await inner.release(delaySeconds);
    },
  };
  return { lease, calls };
}

/** Resolves once `check` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 5_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
