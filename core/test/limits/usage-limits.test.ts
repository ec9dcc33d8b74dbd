import { describe, expect, it } from 'vitest';
import {
  activeDocumentKey,
  type JobActivity,
  releaseSlots,
  reserveSlots,
} from '#core/limits/active-jobs.ts';
import {
  quotaDocumentKey,
  refundQuota,
  reserveQuota,
  secondsUntilUtcMidnight,
} from '#core/limits/daily-quota.ts';
import {
  drawTickets,
  estimateAhead,
  issuedTickets,
  readTicket,
} from '#core/limits/lane-tickets.ts';
import { MemoryDocumentStore } from '#core/limits/memory-document-store.ts';

const T0 = Date.parse('2026-11-27T23:59:30.000Z');

describe('daily quota', () => {
  it('counts jobs up to the quota, refuses the next until the UTC day ends, then starts over', async () => {
    const docs = new MemoryDocumentStore();
    expect(await reserveQuota(docs, 'k', 3, 2, T0)).toBe(2);
    expect(await reserveQuota(docs, 'k', 3, 1, T0)).toBe(3);

    const refused = reserveQuota(docs, 'k', 3, 1, T0 + 1000);

    await expect(refused).rejects.toMatchObject({
      code: 'QUOTA_EXCEEDED',
      retryAfterSeconds: 29,
      details: { jobsPerDay: 3, used: 3, requested: 1, resetsAt: '2026-11-28T00:00:00.000Z' },
    });
    expect(await reserveQuota(docs, 'k', 3, 1, Date.parse('2026-11-28T00:00:00.000Z'))).toBe(1);
  });

  it('refuses a group that does not fit whole, and counts nothing for it', async () => {
    const docs = new MemoryDocumentStore();
    await reserveQuota(docs, 'k', 5, 4, T0);

    await expect(reserveQuota(docs, 'k', 5, 2, T0)).rejects.toMatchObject({
      code: 'QUOTA_EXCEEDED',
    });
    expect((await docs.get(quotaDocumentKey('k', T0)))?.value).toEqual({ used: 4 });
  });

  it('refunds a failed submission on the day it was counted', async () => {
    const docs = new MemoryDocumentStore();
    await reserveQuota(docs, 'k', 5, 2, T0);

    await refundQuota(docs, 'k', 1, T0);

    expect((await docs.get(quotaDocumentKey('k', T0)))?.value).toEqual({ used: 1 });
  });

  it('rounds the seconds until UTC midnight up, and never says 0', () => {
    expect(secondsUntilUtcMidnight(Date.parse('2026-11-27T00:00:00.000Z'))).toBe(86_400);
    expect(secondsUntilUtcMidnight(Date.parse('2026-11-27T23:59:59.001Z'))).toBe(1);
    expect(quotaDocumentKey('k', T0)).toBe('limits/quota/k/2026-11-27.json');
  });
});

describe('concurrency slots', () => {
  const states = new Map<string, JobActivity>();
  const activity = async (id: string) => states.get(id) ?? 'missing';
  const options = (jobIds: string[], now = T0) => ({
    keyId: 'k',
    jobIds,
    limit: 2,
    now,
    activity,
    retryAfterSeconds: 5,
  });

  it('admits up to the limit, refuses beyond it, and frees a slot when a job finishes', async () => {
    const docs = new MemoryDocumentStore();
    states.set('j1', 'active');
    states.set('j2', 'active');
    expect(await reserveSlots(docs, options(['j1']))).toBe(1);
    expect(await reserveSlots(docs, options(['j2']))).toBe(2);

    await expect(reserveSlots(docs, options(['j3']))).rejects.toMatchObject({
      code: 'CONCURRENCY_LIMITED',
      retryAfterSeconds: 5,
      details: { concurrency: 2, active: 2, requested: 1 },
    });
    states.set('j1', 'done');
    expect(await reserveSlots(docs, options(['j3']))).toBe(2);
    expect((await docs.get(activeDocumentKey('k')))?.value).toEqual({
      jobs: [
        { id: 'j2', reservedAt: T0 },
        { id: 'j3', reservedAt: T0 },
      ],
    });
  });

  it('counts a reserved job not yet in the store during the grace time only', async () => {
    const docs = new MemoryDocumentStore();
    await reserveSlots(docs, options(['ghost-1', 'ghost-2']));

    await expect(reserveSlots(docs, options(['j9'], T0 + 119_999))).rejects.toMatchObject({
      code: 'CONCURRENCY_LIMITED',
    });
    expect(await reserveSlots(docs, options(['j9'], T0 + 120_000))).toBe(1);
  });

  it('releases the slots of a failed submission', async () => {
    const docs = new MemoryDocumentStore();
    await reserveSlots(docs, options(['a', 'b']));

    await releaseSlots(docs, 'k', ['a']);

    expect(await reserveSlots(docs, options(['c']))).toBe(2);
  });

  it('refuses a group larger than the free slots as a whole', async () => {
    const docs = new MemoryDocumentStore();
    await reserveSlots(docs, options(['a']));

    await expect(reserveSlots(docs, options(['b', 'c']))).rejects.toMatchObject({
      details: { active: 1, requested: 2 },
    });
  });
});

describe('lane tickets', () => {
  it('draws consecutive tickets per lane and records them with the jobs', async () => {
    const docs = new MemoryDocumentStore();

    expect(await drawTickets(docs, 'interactive', ['a'])).toEqual([1]);
    expect(await drawTickets(docs, 'interactive', ['b', 'c'])).toEqual([2, 3]);
    expect(await drawTickets(docs, 'batch', ['d'])).toEqual([1]);

    expect(await readTicket(docs, 'c')).toBe(3);
    expect(await readTicket(docs, 'zz')).toBeUndefined();
    expect(await issuedTickets(docs, 'interactive')).toBe(3);
  });

  it('estimates the jobs ahead from the depth and the tickets drawn after a job', () => {
    // 5 waiting, 2 drawn after ticket 8 of 10: 2 behind, so 2 ahead.
    expect(estimateAhead(5, 10, 8)).toBe(2);
    // The last submitted job has everything else ahead of it.
    expect(estimateAhead(5, 10, 10)).toBe(4);
    // More drawn after it than are waiting: it is at the front.
    expect(estimateAhead(3, 10, 2)).toBe(0);
    expect(estimateAhead(0, 10, 2)).toBe(0);
  });
});
