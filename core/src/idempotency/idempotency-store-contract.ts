import { describe, expect, it } from 'vitest';
import type { ClaimRequest, IdempotencyStore, StoredResponse } from './idempotency-store.ts';

export interface IdempotencyStoreContractOptions {
  /** False for an S3 emulator that ignores If-None-Match (see DocumentStoreContractOptions). */
  readonly settlesRaces?: boolean;
}

const T0 = Date.parse('2026-11-27T12:00:00.000Z');
const DAY = 86_400;
const RESPONSE: StoredResponse = {
  status: 202,
  headers: { location: '/v1/edits/job_1' },
  body: '{"id":"job_1"}',
};

function request(overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    owner: '0123456789abcdef',
    key: 'order-42',
    fingerprint: 'f'.repeat(64),
    now: new Date(T0),
    ttlSeconds: DAY,
    lockSeconds: 60,
    ...overrides,
  };
}

/**
 * The IdempotencyStore contract: one claim per owner and key; the completed response is kept for
 * the TTL; an abandoned claim may be taken over; a release frees the key; a late settle of a claim
 * that was taken over changes nothing.
 */
export function describeIdempotencyStoreContract(
  name: string,
  factory: () => Promise<IdempotencyStore>,
  options: IdempotencyStoreContractOptions = {},
): void {
  describe(`IdempotencyStore contract: ${name}`, () => {
    it('claims a new key, then shows the claim in progress to a second request', async () => {
      const store = await factory();

      const first = await store.claim(request());
      const second = await store.claim(request({ now: new Date(T0 + 1000) }));

      expect(first.outcome).toBe('claimed');
      expect(second).toMatchObject({
        outcome: 'existing',
        record: { state: 'in-progress', fingerprint: 'f'.repeat(64), response: null },
      });
    });

    it('replays the completed response until the TTL ends, then frees the key', async () => {
      const store = await factory();
      const first = await store.claim(request());
      if (first.outcome !== 'claimed') throw new Error('expected a claim');
      await store.complete('0123456789abcdef', 'order-42', first.claimId, RESPONSE);

      const before = await store.claim(request({ now: new Date(T0 + DAY * 1000 - 1) }));
      const after = await store.claim(request({ now: new Date(T0 + DAY * 1000) }));

      expect(before).toMatchObject({
        outcome: 'existing',
        record: { state: 'completed', response: RESPONSE },
      });
      expect(after.outcome).toBe('claimed');
    });

    it('keeps owners apart: the same key of another owner is another record', async () => {
      const store = await factory();
      await store.claim(request());

      const other = await store.claim(request({ owner: 'fedcba9876543210' }));

      expect(other.outcome).toBe('claimed');
    });

    it('frees the key on release, so the request can be sent again', async () => {
      const store = await factory();
      const first = await store.claim(request());
      if (first.outcome !== 'claimed') throw new Error('expected a claim');

      await store.release('0123456789abcdef', 'order-42', first.claimId);

      expect((await store.claim(request())).outcome).toBe('claimed');
    });

    it('lets a new request take over a claim abandoned past its lock, and ignores the late one', async () => {
      const store = await factory();
      const first = await store.claim(request());
      if (first.outcome !== 'claimed') throw new Error('expected a claim');

      const takeover = await store.claim(request({ now: new Date(T0 + 60_000) }));
      await store.complete('0123456789abcdef', 'order-42', first.claimId, RESPONSE);
      await store.release('0123456789abcdef', 'order-42', first.claimId);

      expect(takeover.outcome).toBe('claimed');
      expect(await store.claim(request({ now: new Date(T0 + 61_000) }))).toMatchObject({
        outcome: 'existing',
        record: { state: 'in-progress', response: null },
      });
    });

    it('accepts any printable key up to 255 characters and keeps them apart', async () => {
      const store = await factory();
      const long = `${'k'.repeat(254)}/`;

      const a = await store.claim(request({ key: long }));
      const b = await store.claim(request({ key: '../../etc/passwd' }));

      expect([a.outcome, b.outcome]).toEqual(['claimed', 'claimed']);
      expect((await store.claim(request({ key: long }))).outcome).toBe('existing');
    });

    if (options.settlesRaces ?? true) {
      it('lets exactly one of several racing requests claim a key', async () => {
        const store = await factory();

        const results = await Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            store.claim(request({ fingerprint: String(i).repeat(64) })),
          ),
        );

        expect(results.filter((result) => result.outcome === 'claimed')).toHaveLength(1);
      });
    }
  });
}
