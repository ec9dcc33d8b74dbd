import { describe, expect, it } from 'vitest';
import { DependencyError } from '#core/errors.ts';
import type { JobMessage } from '#core/jobs/job-message.ts';
import type { BlobStore, JobQueue, JobStore } from '#core/ports.ts';
import type { ApiDeps } from '#functions/api/api-types.ts';
import { call, createHarness, jsonRequest, useTempRoot } from '../helpers/api-harness.ts';
import { pngImage, toDataUri } from '../helpers/images.ts';

const tempDir = useTempRoot('faults');

const down = (operation: string) =>
  new DependencyError(
    `Expected ${operation} to succeed but it failed with ServiceUnavailable (HTTP 503)`,
    {
      details: { operation, bucket: 'secret-bucket-name' },
    },
  );

async function submit(app: ReturnType<typeof createHarness>['app']) {
  const image = { dataUri: toDataUri(await pngImage()) };
  return call(app, jsonRequest('POST', '/v1/edits', { image, instruction: 'make it winter' }));
}

function failingBlobs(blobs: BlobStore, method: 'put' | 'delete'): BlobStore {
  return new Proxy(blobs, {
    get(target, name, receiver) {
      if (name === method) return () => Promise.reject(down(`S3 ${method}`));
      const value = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function failingJobs(jobs: JobStore, overrides: Partial<JobStore>): JobStore {
  return {
    create: overrides.create ?? ((job) => jobs.create(job)),
    get: overrides.get ?? ((id) => jobs.get(id)),
    update: overrides.update ?? ((id, mutate, options) => jobs.update(id, mutate, options)),
  };
}

function failingQueue(): JobQueue<JobMessage> {
  return {
    send: () => Promise.reject(down('SQS SendMessage')),
    receive: () => Promise.resolve([]),
  };
}

describe('createApiApp when a dependency fails', () => {
  it('answers 503 with Retry-After when the blob store is down, and stores and queues nothing', async () => {
    const h = createHarness(tempDir(), {
      config: { retryAfterSeconds: 7 },
      wrap: (deps): ApiDeps => ({ ...deps, blobs: failingBlobs(deps.blobs, 'put') }),
    });

    const res = await submit(h.app);

    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json.error).toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      details: { retryAfterSeconds: 7 },
      requestId: res.headers['x-request-id'],
    });
    expect(JSON.stringify(res.json)).not.toContain('secret-bucket-name');
    expect(await h.stored()).toEqual({ blobs: [], jobs: [], messages: 0, events: 0 });
    expect(h.logs).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'dependency unavailable',
        method: 'POST',
        path: '/v1/edits',
      }),
    ]);
  });

  it('removes the stored input when the job store cannot create the record', async () => {
    const h = createHarness(tempDir(), {
      wrap: (deps): ApiDeps => ({
        ...deps,
        jobs: failingJobs(deps.jobs, { create: () => Promise.reject(down('S3 PutObject')) }),
      }),
    });

    const res = await submit(h.app);

    expect(res.status).toBe(503);
    expect(await h.stored()).toEqual({ blobs: [], jobs: [], messages: 0, events: 0 });
  });

  it('withdraws the record (canceled, DEPENDENCY_UNAVAILABLE) and the input when the queue is down', async () => {
    const h = createHarness(tempDir(), {
      wrap: (deps): ApiDeps => ({
        ...deps,
        queues: { ...deps.queues, interactive: failingQueue() },
      }),
    });

    const res = await submit(h.app);

    expect(res.status).toBe(503);
    const stored = await h.stored();
    expect(stored).toEqual({ blobs: [], jobs: ['job_0002.json'], messages: 0, events: 0 });
    expect(await h.jobs.get('job_0002')).toMatchObject({
      status: 'canceled',
      error: { code: 'DEPENDENCY_UNAVAILABLE' },
    });
  });

  it('logs a record it could not withdraw and still answers 503', async () => {
    const h = createHarness(tempDir(), {
      wrap: (deps): ApiDeps => ({
        ...deps,
        queues: { ...deps.queues, interactive: failingQueue() },
        jobs: failingJobs(deps.jobs, { update: () => Promise.reject(down('S3 PutObject')) }),
      }),
    });

    const res = await submit(h.app);

    expect(res.status).toBe(503);
    expect((await h.stored()).messages).toBe(0);
    expect(h.logs.map((entry) => entry.msg)).toContain('job record left queued without a message');
  });

  it('counts a store call that does not answer in time as unavailable', async () => {
    const h = createHarness(tempDir(), {
      config: { dependencyTimeoutMs: 50 },
      wrap: (deps): ApiDeps => ({
        ...deps,
        jobs: failingJobs(deps.jobs, { get: () => new Promise(() => undefined) }),
      }),
    });

    const started = Date.now();
    const res = await call(h.app, jsonRequest('GET', '/v1/edits/job_1'));

    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(h.logs[0]).toMatchObject({
      error: {
        code: 'DEPENDENCY_UNAVAILABLE',
        details: { operation: 'job store get', timeoutMs: 50 },
      },
    });
  });

  it('accepts the job even when its queued event cannot be published (logged)', async () => {
    const h = createHarness(tempDir(), {
      wrap: (deps): ApiDeps => ({
        ...deps,
        events: {
          publish: () => Promise.reject(down('SQS SendMessage')),
          receive: () => Promise.resolve([]),
        },
      }),
    });

    const res = await submit(h.app);

    expect(res.status).toBe(202);
    expect((await h.stored()).messages).toBe(1);
    expect(h.logs).toEqual([
      expect.objectContaining({ level: 'error', msg: 'job event not published' }),
    ]);
  });

  it('answers 500 INTERNAL with a request id and no stack for an unexpected error, and logs the stack', async () => {
    const h = createHarness(tempDir(), {
      wrap: (deps): ApiDeps => ({
        ...deps,
        jobs: failingJobs(deps.jobs, {
          get: () => Promise.reject(new TypeError('boom at line 12')),
        }),
      }),
    });

    const res = await call(h.app, jsonRequest('GET', '/v1/edits/job_1'));

    expect(res.status).toBe(500);
    expect(res.json).toEqual({
      error: {
        code: 'INTERNAL',
        message: `The server failed to handle the request; quote request id ${res.headers['x-request-id']} when reporting it`,
        requestId: res.headers['x-request-id'],
      },
    });
    expect(h.logs).toEqual([
      expect.objectContaining({
        level: 'error',
        requestId: res.headers['x-request-id'],
        error: expect.objectContaining({
          name: 'TypeError',
          stack: expect.stringContaining('boom at line 12'),
        }),
      }),
    ]);
  });
});
