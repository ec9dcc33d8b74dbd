import { describe, expect, it } from 'vitest';
import { call, jsonRequest, useTempRoot } from '../../helpers/api-harness.ts';
import { as, createKeyedHarness, submitAs } from '../auth/keyed-harness.ts';

const tempDir = useTempRoot('queue');

describe('queue position of a queued job', () => {
  it('counts the jobs ahead in the lane, and moves up when the worker takes one', async () => {
    const h = createKeyedHarness(tempDir());
    const alice = await h.newKey({ ratePerSecond: null });
    const bob = await h.newKey({ ratePerSecond: null });
    const a = await submitAs(h, alice.token);
    const b = await submitAs(h, bob.token);
    const c = await submitAs(h, alice.token);
    await submitAs(h, alice.token, { lane: 'batch' });
    const position = async (token: string, id: string) =>
      (await call(h.app, as(token, jsonRequest('GET', `/v1/edits/${id}`)))).json.queue;

    const before = [
      await position(alice.token, a.json.id),
      await position(bob.token, b.json.id),
      await position(alice.token, c.json.id),
    ];
    await h.queues.interactive.receive({ maxMessages: 1, waitSeconds: 0, leaseSeconds: 30 });
    await h.jobs.update(a.json.id, (job) => ({ ...job, status: 'running' }));
    const after = [
      await position(alice.token, a.json.id),
      await position(bob.token, b.json.id),
      await position(alice.token, c.json.id),
    ];

    expect(before).toEqual([
      { position: 1, ahead: 0, waiting: 3 },
      { position: 2, ahead: 1, waiting: 3 },
      { position: 3, ahead: 2, waiting: 3 },
    ]);
    expect(after).toEqual([
      null,
      { position: 1, ahead: 0, waiting: 2 },
      { position: 2, ahead: 1, waiting: 2 },
    ]);
  });

  it('shows null, and logs, when the lane depth cannot be read', async () => {
    const h = createKeyedHarness(tempDir(), {
      wrap: (deps) => ({ ...deps, queueDepth: () => Promise.reject(new Error('SQS down')) }),
    });
    const { token } = await h.newKey();
    const { json } = await submitAs(h, token);

    const res = await call(h.app, as(token, jsonRequest('GET', `/v1/edits/${json.id}`)));

    expect(res.status).toBe(200);
    expect(res.json.queue).toBeNull();
    expect(h.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'queue position unknown', jobId: json.id }),
    );
  });
});
