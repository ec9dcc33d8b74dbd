import { describe, expect, it } from 'vitest';
import { readPreferWait } from '#functions/api/waiting/prefer-wait.ts';
import { call, type Harness, jsonRequest, useTempRoot } from '../../helpers/api-harness.ts';
import { as, createKeyedHarness, submitAs } from '../auth/keyed-harness.ts';

const tempDir = useTempRoot('wait');

/** Plays the worker: after `afterMs`, takes the job `id` names and ends it (running, failed). */
function finishLater(
  h: Harness,
  id: () => string | undefined | Promise<string | undefined>,
  afterMs: number,
) {
  return (async () => {
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    const jobId = await id();
    if (jobId === undefined) throw new Error('no job to finish');
    await h.jobs.update(jobId, (job) => ({
      ...job,
      status: 'running',
      timestamps: { ...job.timestamps, startedAt: new Date(h.clock.now()).toISOString() },
    }));
    await h.jobs.update(jobId, (job) => ({
      ...job,
      status: 'failed',
      timestamps: { ...job.timestamps, completedAt: new Date(h.clock.now()).toISOString() },
      error: { code: 'INFERENCE_FAILED', message: 'test' },
    }));
  })();
}

describe('readPreferWait', () => {
  it('reads wait=N among other preferences, lowers N over the limit, ignores absent waits', () => {
    expect(readPreferWait({ prefer: 'respond-async, wait=10' }, 25)).toEqual({
      requested: 10,
      seconds: 10,
    });
    expect(readPreferWait({ prefer: 'wait=25' }, 25)).toEqual({ requested: 25, seconds: 25 });
    expect(readPreferWait({ prefer: 'WAIT="26"' }, 25)).toEqual({ requested: 26, seconds: 25 });
    expect(readPreferWait({ prefer: 'wait=0' }, 25)).toEqual({ requested: 0, seconds: 0 });
    expect(readPreferWait({ prefer: 'return=minimal' }, 25)).toBeUndefined();
    expect(readPreferWait({}, 25)).toBeUndefined();
  });

  it('refuses a wait that is not a whole number of seconds, or two different waits', () => {
    for (const prefer of ['wait=abc', 'wait=-1', 'wait=1.5', 'wait', 'wait=5, wait=6']) {
      expect(() => readPreferWait({ prefer }, 25)).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          details: { field: 'Prefer', maxWaitSeconds: 25 },
        }),
      );
    }
  });
});

describe('Prefer: wait on POST /v1/edits', () => {
  it('returns early with the finished job (200) once it ends', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    // The only job stored: the one being submitted.
    const worker = finishLater(
      h,
      async () => (await h.stored()).jobs[0]?.replace(/\.json$/, ''),
      300,
    );
    const started = performance.now();

    const res = await submitAs(h, token, {}, { prefer: 'wait=5' });
    await worker;

    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.headers['preference-applied']).toBe('wait=5');
    expect(res.headers.location).toBe('/v1/edits/job_0002');
    expect(res.json).toMatchObject({ id: 'job_0002', status: 'failed', queue: null });
    expect(elapsed).toBeLessThan(2500);
  });

  it('returns the job as it stands (202, queued, with its queue position) when N runs out', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    const started = performance.now();

    const res = await submitAs(h, token, {}, { prefer: 'wait=1' });

    const elapsed = performance.now() - started;
    expect(res.status).toBe(202);
    expect(res.headers['preference-applied']).toBe('wait=1');
    expect(res.json).toMatchObject({
      status: 'queued',
      queue: { position: 1, ahead: 0, waiting: 1 },
      links: { self: `/v1/edits/${res.json.id}` },
    });
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3000);
  });

  it('refuses a malformed wait with 400 before creating anything', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();

    const res = await submitAs(h, token, {}, { prefer: 'wait=soon' });

    expect(res.status).toBe(400);
    expect(res.json.error.details.field).toBe('Prefer');
    expect((await h.stored()).jobs).toEqual([]);
  });

  it('waits on a replayed Idempotency-Key too', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    const headers = { 'idempotency-key': 'w1' };
    const first = await submitAs(h, token, {}, headers);
    await finishLater(h, () => first.json.id, 0);

    const replay = await submitAs(h, token, {}, { ...headers, prefer: 'wait=3' });

    expect(replay.status).toBe(200);
    expect(replay.json).toMatchObject({ id: first.json.id, status: 'failed' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });
});

describe('Prefer: wait on GET /v1/edits/{id}', () => {
  it('returns early when the job finishes', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    const { json } = await submitAs(h, token);
    const worker = finishLater(h, () => json.id, 300);
    const started = performance.now();

    const res = await call(
      h.app,
      as(token, jsonRequest('GET', `/v1/edits/${json.id}`, undefined, { prefer: 'wait=10' })),
    );
    await worker;

    expect(res.status).toBe(200);
    expect(res.json.status).toBe('failed');
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('returns the job as it stands after N seconds', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    const { json } = await submitAs(h, token);
    const started = performance.now();

    const res = await call(
      h.app,
      as(token, jsonRequest('GET', `/v1/edits/${json.id}`, undefined, { prefer: 'wait=1' })),
    );

    expect(res.status).toBe(200);
    expect(res.json.status).toBe('queued');
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('lowers a wait over 25 s to 25 and says so; a finished job answers at once', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    const { json } = await submitAs(h, token);
    await finishLater(h, () => json.id, 0);

    const res = await call(
      h.app,
      as(token, jsonRequest('GET', `/v1/edits/${json.id}`, undefined, { prefer: 'wait=600' })),
    );

    expect(res.status).toBe(200);
    expect(res.headers['preference-applied']).toBe('wait=25');
  });

  it('answers 404 for another key’s job without waiting', async () => {
    const h = createKeyedHarness(tempDir());
    const alice = await h.newKey();
    const bob = await h.newKey();
    const { json } = await submitAs(h, alice.token);
    const started = performance.now();

    const res = await call(
      h.app,
      as(bob.token, jsonRequest('GET', `/v1/edits/${json.id}`, undefined, { prefer: 'wait=5' })),
    );

    expect(res.status).toBe(404);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
