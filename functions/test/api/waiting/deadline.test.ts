import { describe, expect, it } from 'vitest';
import { ValidationError } from '#core/errors.ts';
import type { Engine } from '#runtime/worker/engine.ts';
import { processLease } from '#runtime/worker/process-lease.ts';
import {
  call,
  type Harness,
  imageFile,
  jsonRequest,
  multipartRequest,
  START,
  useTempRoot,
} from '../../helpers/api-harness.ts';
import { pngImage } from '../../helpers/images.ts';
import { as, createKeyedHarness, submitAs } from '../auth/keyed-harness.ts';

const tempDir = useTempRoot('deadline');

describe('job deadlines: stored and validated by the API', () => {
  it('stores deadlineSeconds as a timestamp and shows it', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();

    const res = await submitAs(h, token, { deadlineSeconds: 30 });
    const view = await call(h.app, as(token, jsonRequest('GET', `/v1/edits/${res.json.id}`)));

    expect(res.status).toBe(202);
    expect((await h.jobs.get(res.json.id))?.deadline).toBe('2026-11-27T12:00:30.000Z');
    expect(view.json.deadline).toBe('2026-11-27T12:00:30.000Z');
  });

  it('stores an absolute deadline in UTC, from 1 s ahead up to the limit', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey({ ratePerSecond: null });

    const soonest = await submitAs(h, token, { deadline: '2026-11-27T12:00:01Z' });
    const latest = await submitAs(h, token, { deadline: '2026-11-28T13:00:00+01:00' });
    const longest = await submitAs(h, token, { deadlineSeconds: 86_400 });

    expect([soonest.status, latest.status, longest.status]).toEqual([202, 202, 202]);
    expect((await h.jobs.get(latest.json.id))?.deadline).toBe('2026-11-28T12:00:00.000Z');
  });

  it('refuses deadlines past, too near, too far, malformed or given twice, storing nothing', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey({ ratePerSecond: null });
    const cases: [Record<string, unknown>, string][] = [
      [
        { deadline: '2026-11-27T11:59:59Z' },
        'from 2026-11-27T12:00:01.000Z to 2026-11-28T12:00:00.000Z',
      ],
      [{ deadline: '2026-11-27T12:00:00.500Z' }, '1 s to 86400 s from now'],
      [{ deadline: '2026-11-28T12:00:00.001Z' }, 'from 2026-11-27T12:00:01.000Z'],
      [{ deadline: '2026-11-27 12:05' }, 'ISO 8601 timestamp with a time zone'],
      [{ deadline: '2026-11-27T12:05:00' }, 'ISO 8601 timestamp with a time zone'],
      [{ deadlineSeconds: 0 }, 'integer from 1 to'],
      [{ deadlineSeconds: 86_401 }, 'integer from 1 to 86400'],
      [{ deadlineSeconds: 2.5 }, 'integer from 1 to'],
      [{ deadline: '2026-11-27T12:05:00Z', deadlineSeconds: 60 }, 'but received both'],
    ];

    for (const [fields, message] of cases) {
      const res = await submitAs(h, token, fields);
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(res.json.error.code).toBe('INVALID_ARGUMENT');
      expect(res.json.error.message).toContain(message);
    }
    expect((await h.stored()).jobs).toEqual([]);
  });

  it('takes deadlineSeconds as a multipart text field', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    const form = new FormData();
    form.set('image', imageFile(await pngImage()));
    form.set('instruction', 'make it winter');
    form.set('deadlineSeconds', '45');

    const res = await call(h.app, as(token, await multipartRequest('/v1/edits', form)));

    expect(res.status).toBe(202);
    expect((await h.jobs.get(res.json.id))?.deadline).toBe('2026-11-27T12:00:45.000Z');
  });
});

/** An engine that records its calls and refuses every input (a permanent failure). */
function recordingEngine() {
  const calls: string[] = [];
  const engine: Engine = {
    start: async () => ({
      name: 'fake',
      version: '0',
      synthetic: true,
      notice: 'test engine',
      precision: 'float32',
    }),
    edit: async (request) => {
      calls.push(request.instruction);
      throw new ValidationError('INVALID_IMAGE', 'the test engine refuses every image');
    },
    close: async () => {},
  };
  return { engine, calls };
}

async function deliver(h: Harness, engine: Engine) {
  const [lease] = await h.queues.interactive.receive({
    maxMessages: 1,
    waitSeconds: 0,
    leaseSeconds: 30,
  });
  if (lease === undefined) throw new Error('expected the job message on the queue');
  return processLease(lease, {
    store: h.jobs,
    blobs: h.blobs,
    events: h.events,
    engine,
    model: await engine.start(),
    settings: {
      leaseSeconds: 30,
      maxAttempts: 3,
      progressIntervalMs: 500,
      backoffSeconds: () => 1,
    },
    now: h.clock.now,
  });
}

describe('job deadlines end to end: API on local adapters, then the worker’s processLease', () => {
  it('ends a job whose deadline passed before a worker took it as expired, never run', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    const { engine, calls } = recordingEngine();
    const { json } = await submitAs(h, token, { deadlineSeconds: 5 });

    h.clock.advance(5000);
    const result = await deliver(h, engine);
    const view = await call(h.app, as(token, jsonRequest('GET', `/v1/edits/${json.id}`)));

    expect(result).toMatchObject({ jobId: json.id, outcome: 'expired' });
    expect(calls).toEqual([]);
    expect(view.json).toMatchObject({
      status: 'expired',
      startedAt: null,
      completedAt: new Date(START + 5000).toISOString(),
      deadline: new Date(START + 5000).toISOString(),
      queue: null,
    });
  });

  it('runs a job taken before its deadline', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    const { engine, calls } = recordingEngine();
    await submitAs(h, token, { deadlineSeconds: 5 });

    h.clock.advance(4999);
    const result = await deliver(h, engine);

    expect(result.outcome).toBe('failed');
    expect(calls).toEqual(['make it winter']);
  });
});
