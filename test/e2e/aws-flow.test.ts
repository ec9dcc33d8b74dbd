/**
 * The job flow on the AWS adapters (S3, SQS) against fauxqs on 127.0.0.1, with the resources the
 * CDK stack creates (bucket, lane queues with dead-letter queues and a redrive policy, events
 * queue). The API is the Lambda entry point (`createApiHandler`, the production composition root)
 * called with API Gateway REST API events; the worker is `startWorker` in aws mode (S3/SQS ports
 * from the configuration) with the real engine on the tiny test bundle, whose output is NOT a real
 * edit.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsEventQueue } from '#core/aws/sqs-event-queue.ts';
import { parseConfig } from '#core/config/parse-config.ts';
import { InferenceError } from '#core/errors.ts';
import { createApiHandler } from '#functions/handlers/api.ts';
import type { EditView } from '#functions/use-cases/edit-view.ts';
import type { ModelInfo } from '#runtime/worker/engine.ts';
import type { LeaseResult } from '#runtime/worker/process-lease.ts';
import { type RunningWorker, startWorker } from '#runtime/worker/start-worker.ts';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';
import { corruptPng, jobEventTypes, testPng, waitFor } from './helpers/e2e-harness.ts';
import {
  type FauxqsEmulator,
  type FauxqsStack,
  queueDepth,
  startFauxqsEmulator,
} from './helpers/fauxqs-stack.ts';
import { restApiEvent } from './helpers/rest-api-event.ts';

// The SDK's default credential chain reads these (fauxqs accepts any pair). Vitest runs each test
// file in its own process, so this reaches no other file.
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';

const KEY = 'key-e2e';

interface Answer<T> {
  readonly status: number;
  readonly body: T;
}

/** The API as API Gateway calls it: one Lambda handler built from the environment. */
function lambdaApi(env: Readonly<Record<string, string>>) {
  const handler = createApiHandler(env);
  return async <T>(method: string, path: string, body?: unknown, apiKeyId = KEY) => {
    const result = await handler(
      restApiEvent({
        method,
        path,
        apiKeyId,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
    return { status: result.statusCode, body: JSON.parse(result.body) as T } as Answer<T>;
  };
}

type Api = ReturnType<typeof lambdaApi>;

async function dataUri(image: Uint8Array): Promise<string> {
  return `data:image/png;base64,${Buffer.from(image).toString('base64')}`;
}

async function waitForView(api: Api, id: string, timeoutMs = 20_000): Promise<EditView> {
  let view: EditView | undefined;
  await waitFor(
    `job ${id} to finish`,
    async () => {
      view = (await api<EditView>('GET', `/v1/edits/${id}`)).body;
      return ['succeeded', 'failed', 'canceled', 'expired'].includes(view.status);
    },
    timeoutMs,
  );
  return view as EditView;
}

function eventQueue(emulator: FauxqsEmulator, stack: FauxqsStack) {
  return createSqsEventQueue({ client: emulator.clients.sqs, queueUrl: stack.eventsUrl });
}

describe('the job flow on S3 and SQS (fauxqs)', () => {
  let emulator: FauxqsEmulator;
  let bundleDir: string;

  beforeAll(async () => {
    emulator = await startFauxqsEmulator();
    bundleDir = await ensureTinyBundle({ precision: 'float32' });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  describe('with the real engine', () => {
    let stack: FauxqsStack;
    let api: Api;
    let worker: RunningWorker;
    const results: LeaseResult[] = [];

    beforeAll(async () => {
      stack = await emulator.createStack({ maxReceiveCount: 5 });
      const env = {
        ...stack.env,
        VIBE_BUNDLE_DIR: bundleDir,
        VIBE_LANES: 'interactive',
        VIBE_LEASE_SECONDS: '10',
        // Keys are not the subject here (aws-gateway-keys.test.ts covers them): the gateway's key id owns the jobs.
        VIBE_AUTH: 'disabled',
      };
      api = lambdaApi(env);
      worker = await startWorker({
        config: parseConfig(env),
        announce: () => {},
        onResult: (result) => results.push(result),
      });
    });
    afterAll(async () => {
      await worker?.close({ deadlineMs: 1_000 });
    });

    it('submits through the Lambda handler, runs, and serves the output through an S3 presigned URL', async () => {
      const submitted = await api<{ id: string; status: string }>('POST', '/v1/edits', {
        image: { dataUri: await dataUri(await testPng(64, 48)) },
        instruction: 'make it winter',
        steps: 3,
        output: { format: 'jpeg', quality: 85 },
      });
      expect(submitted).toMatchObject({ status: 202, body: { status: 'queued' } });
      const { id } = submitted.body;

      const view = await waitForView(api, id);

      expect(view).toMatchObject({
        status: 'succeeded',
        attempts: 1,
        progress: { step: 3, steps: 3 },
        model: { name: 'vibe-tiny-test', synthetic: true },
        output: { width: 64, height: 48, format: 'jpeg' },
        error: null,
      });
      const url = view.output?.url ?? '';
      expect(url.startsWith(`${emulator.endpoint}/${stack.bucket}/outputs/${id}.jpg?`)).toBe(true);
      expect(url).toContain('X-Amz-Signature=');
      const download = await fetch(url);
      expect(download.status).toBe(200);
      const image = new Uint8Array(await download.arrayBuffer());
      expect(await sharp(image).metadata()).toMatchObject({
        format: 'jpeg',
        width: 64,
        height: 48,
      });
      // Jobs belong to the API key that submitted them.
      expect(await api('GET', `/v1/edits/${id}`, undefined, 'key-other')).toMatchObject({
        status: 404,
        body: { error: { code: 'NOT_FOUND' } },
      });

      expect(await jobEventTypes(eventQueue(emulator, stack), id, 'edit.succeeded')).toEqual([
        'edit.queued',
        'edit.running',
        'edit.succeeded',
      ]);
      expect(await queueDepth(emulator.clients.sqs, stack.queueUrls.interactive)).toEqual({
        visible: 0,
        inFlight: 0,
      });
    });

    it('fails a poison job (valid header, corrupt pixels) at once with its reason; nothing reaches the DLQ', async () => {
      const submitted = await api<{ id: string }>('POST', '/v1/edits', {
        image: { dataUri: await dataUri(await corruptPng()) },
        instruction: 'make it winter',
        steps: 2,
      });
      expect(submitted.status).toBe(202);
      const { id } = submitted.body;

      const view = await waitForView(api, id);

      expect(view).toMatchObject({
        status: 'failed',
        attempts: 1,
        output: null,
        error: { code: 'INVALID_IMAGE' },
      });
      expect(view.error?.message).toMatch(/decode|PNG|image/i);
      // The record is written before the event and the ack; the worker reports after the ack.
      await waitFor('the worker to ack the poison job', () =>
        results.some((result) => result.jobId === id),
      );
      expect(results.filter((result) => result.jobId === id).map((r) => r.outcome)).toEqual([
        'failed',
      ]);
      const sqs = emulator.clients.sqs;
      expect(await queueDepth(sqs, stack.queueUrls.interactive)).toEqual({
        visible: 0,
        inFlight: 0,
      });
      expect(await queueDepth(sqs, stack.deadLetterUrls.interactive)).toEqual({
        visible: 0,
        inFlight: 0,
      });
      expect(await jobEventTypes(eventQueue(emulator, stack), id, 'edit.failed')).toEqual([
        'edit.queued',
        'edit.running',
        'edit.failed',
      ]);
    });
  });

  it('fails a job whose every run hits a retryable error after maxAttempts, before the DLQ', async () => {
    const stack = await emulator.createStack({ maxReceiveCount: 5 });
    const env = {
      ...stack.env,
      VIBE_BUNDLE_DIR: bundleDir,
      VIBE_LANES: 'interactive',
      VIBE_LEASE_SECONDS: '10',
      VIBE_MAX_ATTEMPTS: '3',
      VIBE_AUTH: 'disabled',
    };
    const api = lambdaApi(env);
    const results: LeaseResult[] = [];
    const worker = await startWorker({
      config: parseConfig(env),
      engine: new AlwaysCrashingEngine(),
      announce: () => {},
      // A 1 s backoff keeps the test short; the release with a delay is still SQS's.
      settings: { backoffSeconds: () => 1 },
      onResult: (result) => results.push(result),
    });
    try {
      const submitted = await api<{ id: string }>('POST', '/v1/edits', {
        image: { dataUri: await dataUri(await testPng()) },
        instruction: 'make it winter',
        steps: 2,
      });
      const { id } = submitted.body;

      const view = await waitForView(api, id);

      expect(view).toMatchObject({
        status: 'failed',
        attempts: 3,
        output: null,
        error: { code: 'INFERENCE_FAILED' },
      });
      expect(view.error?.message).toContain('(attempt 3 of 3; not retrying)');
      await waitFor('the worker to ack the job', () => results.length === 3);
      expect(results.map((result) => [result.outcome, result.attempt])).toEqual([
        ['retried', 1],
        ['retried', 2],
        ['failed', 3],
      ]);
      const sqs = emulator.clients.sqs;
      expect(await queueDepth(sqs, stack.queueUrls.interactive)).toEqual({
        visible: 0,
        inFlight: 0,
      });
      expect(await queueDepth(sqs, stack.deadLetterUrls.interactive)).toEqual({
        visible: 0,
        inFlight: 0,
      });
    } finally {
      await worker.close({ deadlineMs: 1_000 });
    }
  });
});

/** An engine whose inference thread "dies" on every job: a retryable InferenceError each time. */
class AlwaysCrashingEngine {
  async start(): Promise<ModelInfo> {
    return {
      name: 'always-crashing',
      version: 'e2e',
      synthetic: true,
      notice: 'A test double whose every job fails with a retryable error.',
      precision: 'float32',
    };
  }
  async edit(): Promise<never> {
    throw new InferenceError('Expected the inference thread to finish the job but it died', {
      retryable: true,
    });
  }
  async close(): Promise<void> {}
}
