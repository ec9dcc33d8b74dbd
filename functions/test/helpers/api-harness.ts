import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { QueueEventQueue } from '#core/events/queue-event-queue.ts';
import { type JobEvent, parseJobEvent } from '#core/jobs/job-event.ts';
import { type JobMessage, parseJobMessage } from '#core/jobs/job-message.ts';
import type { Lane } from '#core/jobs/job-record.ts';
import { FsBlobStore } from '#core/local/fs-blob-store.ts';
import { FsJobQueue } from '#core/local/fs-job-queue.ts';
import { FsJobStore } from '#core/local/fs-job-store.ts';
import type { ApiConfigInput } from '#functions/api/api-config.ts';
import type {
  ApiApp,
  ApiDeps,
  ApiRequest,
  ApiResponse,
  IdSource,
  LogEntry,
} from '#functions/api/api-types.ts';
import { createApiApp } from '#functions/api/create-api-app.ts';
import { createImageFetcher, type FetchImage } from '#functions/fetch/image-fetcher.ts';

/** Call at the top of a test file: a temporary root per file, removed after its last test. */
export function useTempRoot(prefix: string): () => string {
  const root = mkdtempSync(join(tmpdir(), `vibe-fn-${prefix}-`));
  afterAll(() => rm(root, { recursive: true, force: true }));
  return () => join(root, randomUUID());
}

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const START = Date.parse('2026-11-27T12:00:00.000Z');

/** The local adapters of one test, on a fake clock, with what they hold inspectable. */
export interface LocalStores {
  readonly root: string;
  readonly blobs: FsBlobStore;
  readonly jobs: FsJobStore;
  readonly queues: Record<Lane, FsJobQueue<JobMessage>>;
  readonly eventQueue: FsJobQueue<JobEvent>;
  readonly events: QueueEventQueue;
  readonly clock: { now(): number; advance(ms: number): void };
  readonly ids: IdSource;
  /** Every blob key, job record file and queued message: all empty after a refused request. */
  stored(): Promise<{ blobs: string[]; jobs: string[]; messages: number; events: number }>;
}

/**
 * The adapters on a fake clock that starts at START, or on the system clock (`realClock`) where
 * something outside the test checks their signed URLs (the local server).
 */
export function createLocalStores(
  root: string,
  options: { readonly baseUrl?: string; readonly realClock?: boolean } = {},
): LocalStores {
  const baseUrl = options.baseUrl ?? 'http://127.0.0.1:9';
  let offset = 0;
  let now = START;
  const advance = (ms: number) => {
    offset += ms;
    now += ms;
  };
  const clock = {
    now: () => (options.realClock === true ? Date.now() + offset : now),
    advance,
  };
  let serial = 0;
  const ids: IdSource = {
    jobId: () => `job_${String(++serial).padStart(4, '0')}`,
    uploadToken: () => (++serial).toString(16).padStart(32, '0'),
    requestId: () => `req_${++serial}`,
  };
  const blobs = new FsBlobStore({
    root: join(root, 'blobs'),
    baseUrl,
    signingSecret: SIGNING_SECRET,
    now: clock.now,
  });
  const queue = (lane: string) =>
    new FsJobQueue({ dir: join(root, 'queues', lane), parse: parseJobMessage, now: clock.now });
  const queues = { interactive: queue('interactive'), batch: queue('batch') };
  const eventQueue = new FsJobQueue({
    dir: join(root, 'events'),
    parse: parseJobEvent,
    now: clock.now,
  });
  const jobs = new FsJobStore({ root: join(root, 'store') });
  return {
    root,
    blobs,
    jobs,
    queues,
    eventQueue,
    events: new QueueEventQueue(eventQueue),
    clock,
    ids,
    async stored() {
      const depth = async (q: FsJobQueue<unknown>) => {
        const { visible, hidden } = await q.depth();
        return visible + hidden;
      };
      return {
        blobs: await listFiles(join(root, 'blobs'), ''),
        jobs: await listFiles(join(root, 'store', 'jobs'), ''),
        messages: (await depth(queues.interactive)) + (await depth(queues.batch)),
        events: await depth(eventQueue),
      };
    },
  };
}

async function listFiles(dir: string, prefix: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue; // .tmp, .meta
    const name = `${prefix}${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), `${name}/`)));
    else out.push(name);
  }
  return out.sort();
}

export interface Harness extends LocalStores {
  readonly app: ApiApp;
  readonly logs: LogEntry[];
}

export interface HarnessOptions {
  readonly config?: ApiConfigInput;
  readonly fetchImage?: FetchImage;
  /** Replaces ports, e.g. with failing ones. */
  readonly wrap?: (deps: ApiDeps) => ApiDeps;
}

/** The app on local adapters in a fresh folder, with a log collector. */
export function createHarness(root: string, options: HarnessOptions = {}): Harness {
  const stores = createLocalStores(root);
  const logs: LogEntry[] = [];
  const deps: ApiDeps = {
    blobs: stores.blobs,
    jobs: stores.jobs,
    queues: stores.queues,
    events: stores.events,
    clock: stores.clock,
    ids: stores.ids,
    log: (entry) => logs.push(entry),
    config: options.config,
    // The real fetcher (so URL rules apply) over a network that is never reached in these tests.
    fetchImage:
      options.fetchImage ??
      createImageFetcher({
        resolve: () =>
          Promise.reject(new Error('this test does not expect image URLs to be fetched')),
      }),
  };
  const app = createApiApp(options.wrap === undefined ? deps : options.wrap(deps));
  return { ...stores, app, logs };
}

export interface CallResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
  readonly json: any;
}

export async function call(app: ApiApp, request: ApiRequest): Promise<CallResult> {
  const response: ApiResponse = await app(request);
  return { status: response.status, headers: response.headers, json: JSON.parse(response.body) };
}

export function jsonRequest(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): ApiRequest {
  const bytes =
    body === undefined ? new Uint8Array() : new TextEncoder().encode(JSON.stringify(body));
  return {
    method,
    path,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    query: {},
    body: bytes,
  };
}

/** Encodes a FormData as a multipart request, the way a browser or curl -F would. */
export async function multipartRequest(path: string, form: FormData): Promise<ApiRequest> {
  const encoded = new Request('http://test.invalid/', { method: 'POST', body: form });
  return {
    method: 'POST',
    path,
    headers: { 'content-type': encoded.headers.get('content-type') ?? '' },
    query: {},
    body: new Uint8Array(await encoded.arrayBuffer()),
  };
}

export function imageFile(bytes: Uint8Array, name = 'photo.png', type = 'image/png'): File {
  return new File([bytes], name, { type });
}
