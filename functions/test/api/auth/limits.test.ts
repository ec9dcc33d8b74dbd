import { describe, expect, it } from 'vitest';
import { MemoryKeyGateway } from '#core/keys/memory-key-gateway.ts';
import { call, jsonRequest, useTempRoot } from '../../helpers/api-harness.ts';
import { as, createKeyedHarness, START, submitAs } from './keyed-harness.ts';

const tempDir = useTempRoot('limits');

describe('rate limit (token bucket per key)', () => {
  it('allows the burst, answers 429 RATE_LIMITED with a Retry-After that is right, then allows again', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey({ ratePerSecond: 1, burst: 2 });
    const other = await h.newKey({ ratePerSecond: 1, burst: 2 });
    const get = (key = token) => call(h.app, as(key, jsonRequest('GET', '/v1/edits/job_1')));

    const burst = [await get(), await get()];
    const refused = await get();
    h.clock.advance(999);
    const stillRefused = await get();
    h.clock.advance(1);
    const again = await get();

    expect(burst.map((res) => res.status)).toEqual([404, 404]);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json.error).toMatchObject({
      code: 'RATE_LIMITED',
      details: { ratePerSecond: 1, burst: 2, retryAfterSeconds: 1 },
    });
    expect(refused.json.error.message).toContain('at most 1 requests per second (bursts of 2)');
    expect(stillRefused.status).toBe(429);
    expect(again.status).toBe(404);
    // Buckets are per key.
    expect((await get(other.token)).status).toBe(404);
  });

  it('rounds a fractional refill up: 0.25 requests per second waits 4 s', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey({ ratePerSecond: 0.25, burst: 1 });
    await call(h.app, as(token, jsonRequest('GET', '/v1/edits/job_1')));

    const refused = await call(h.app, as(token, jsonRequest('GET', '/v1/edits/job_1')));

    expect(refused.headers['retry-after']).toBe('4');
  });

  it('takes no tokens where API Gateway enforces rates (its usage plan throttles every process together)', async () => {
    const gateway = new MemoryKeyGateway([
      { id: 'p1', name: 'standard', ratePerSecond: 1, burst: 1, quota: null },
    ]);
    const h = createKeyedHarness(tempDir(), { wrap: (deps) => ({ ...deps, keyGateway: gateway }) });
    const { token } = await h.newKey({ ratePerSecond: 1, burst: 1 });

    const answers = [];
    for (let i = 0; i < 4; i++) {
      answers.push(await call(h.app, as(token, jsonRequest('GET', '/v1/edits/job_1'))));
    }

    expect(answers.map((res) => res.status)).toEqual([404, 404, 404, 404]);
  });
});

describe('concurrency limit (queued + running jobs per key)', () => {
  it('accepts up to the limit, answers 429 with nothing stored beyond it, and frees a slot when a job ends', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey({ concurrency: 2, ratePerSecond: null });
    const first = await submitAs(h, token);
    const second = await submitAs(h, token);

    const refused = await submitAs(h, token);
    const stored = await h.stored();
    await call(h.app, as(token, jsonRequest('POST', `/v1/edits/${first.json.id}/cancel`)));
    const afterCancel = await submitAs(h, token);

    expect([first.status, second.status]).toEqual([202, 202]);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json.error).toMatchObject({
      code: 'CONCURRENCY_LIMITED',
      details: { concurrency: 2, active: 2, requested: 1 },
    });
    expect(stored.jobs).toHaveLength(2);
    expect(stored.messages).toBe(2);
    expect(afterCancel.status).toBe(202);
  });

  it('counts running jobs too, and a job that succeeded no longer', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey({ concurrency: 1, ratePerSecond: null });
    const { json } = await submitAs(h, token);
    await h.jobs.update(json.id, (job) => ({ ...job, status: 'running' }));

    const whileRunning = await submitAs(h, token);
    await h.jobs.update(json.id, (job) => ({ ...job, status: 'failed' }));
    const afterEnd = await submitAs(h, token);

    expect(whileRunning.status).toBe(429);
    expect(afterEnd.status).toBe(202);
  });

  it('gives the slot back when the submission fails after the reservation', async () => {
    const h = createKeyedHarness(tempDir(), {
      wrap: (deps) => ({
        ...deps,
        jobs: {
          ...deps.jobs,
          get: (id) => deps.jobs.get(id),
          update: (id, mutate, options) => deps.jobs.update(id, mutate, options),
          create: () => Promise.reject(new Error('store down')),
        },
      }),
    });
    const { token } = await h.newKey({ concurrency: 1, jobsPerDay: 1, ratePerSecond: null });

    const failed = await submitAs(h, token);
    const failedAgain = await submitAs(h, token);

    // 500 both times, never 429: the slot and the quota were released.
    expect(failed.status).toBe(500);
    expect(failedAgain.status).toBe(500);
  });
});

describe('daily quota (jobs per UTC day)', () => {
  it('answers 429 QUOTA_EXCEEDED until the next UTC day, with Retry-After the seconds to midnight', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey({ jobsPerDay: 2, concurrency: null, ratePerSecond: null });
    // 23:59:00 UTC
    h.clock.advance(Date.parse('2026-11-27T23:59:00.000Z') - START);
    const used = [await submitAs(h, token), await submitAs(h, token)];

    const refused = await submitAs(h, token);
    h.clock.advance(59_000);
    const lastSecond = await submitAs(h, token);
    h.clock.advance(1000);
    const nextDay = await submitAs(h, token);

    expect(used.map((res) => res.status)).toEqual([202, 202]);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.json.error).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      details: { jobsPerDay: 2, used: 2, requested: 1, resetsAt: '2026-11-28T00:00:00.000Z' },
    });
    expect(lastSecond.headers['retry-after']).toBe('1');
    expect(nextDay.status).toBe(202);
  });

  it('does not count refused submissions', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey({ jobsPerDay: 1, ratePerSecond: null });

    const invalid = await submitAs(h, token, { steps: 0 });
    const valid = await submitAs(h, token);

    expect(invalid.status).toBe(400);
    expect(valid.status).toBe(202);
  });
});
