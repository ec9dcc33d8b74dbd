import { describe, expect, it } from 'vitest';
import { type ApiKeyRecord, DEFAULT_KEY_LIMITS, generateApiKey } from './api-key.ts';
import type { KeyStore } from './key-store.ts';

export interface KeyStoreContractOptions {
  /** False for an S3 emulator that ignores If-None-Match (see DocumentStoreContractOptions). */
  readonly settlesRaces?: boolean;
}

/** A valid key record for tests (its token is thrown away); override any field. */
export function keyRecordFactory(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  const { id, secretHash } = generateApiKey();
  return {
    id,
    name: 'test',
    secretHash,
    createdAt: '2026-11-27T12:00:00.000Z',
    revokedAt: null,
    limits: DEFAULT_KEY_LIMITS,
    admin: false,
    ...overrides,
  };
}

/** The KeyStore contract: create once, read back, revoke idempotently, list oldest first. */
export function describeKeyStoreContract(
  name: string,
  factory: () => Promise<KeyStore>,
  options: KeyStoreContractOptions = {},
): void {
  describe(`KeyStore contract: ${name}`, () => {
    it('creates a key and reads it back by id; an unknown or malformed id is undefined', async () => {
      const store = await factory();
      const key = keyRecordFactory({ name: 'ci', admin: true });

      const created = await store.create(key);

      expect(created).toEqual(key);
      expect(await store.get(key.id)).toEqual(key);
      expect(await store.get(keyRecordFactory().id)).toBeUndefined();
      expect(await store.get('../keys/x')).toBeUndefined();
    });

    if (options.settlesRaces ?? true) {
      it('refuses a second key with the same id', async () => {
        const store = await factory();
        const key = keyRecordFactory();
        await store.create(key);

        await expect(store.create({ ...key, name: 'other' })).rejects.toMatchObject({
          code: 'CONFLICT',
          details: { keyId: key.id },
        });
        expect((await store.get(key.id))?.name).toBe('test');
      });
    }

    it('refuses an invalid record', async () => {
      const store = await factory();

      await expect(store.create(keyRecordFactory({ name: '' }))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(
        store.create(keyRecordFactory({ secretHash: 'not-a-hash' })),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('revokes a key once: a second revoke keeps the first time', async () => {
      const store = await factory();
      const key = keyRecordFactory();
      await store.create(key);

      const first = await store.revoke(key.id, new Date('2026-11-28T00:00:00.000Z'));
      const second = await store.revoke(key.id, new Date('2026-11-29T00:00:00.000Z'));

      expect(first.revokedAt).toBe('2026-11-28T00:00:00.000Z');
      expect(second.revokedAt).toBe('2026-11-28T00:00:00.000Z');
      expect((await store.get(key.id))?.revokedAt).toBe('2026-11-28T00:00:00.000Z');
    });

    it('answers NotFoundError when revoking an unknown key', async () => {
      const store = await factory();

      await expect(store.revoke(keyRecordFactory().id, new Date())).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('lists every key oldest first, revoked ones included', async () => {
      const store = await factory();
      const late = keyRecordFactory({ createdAt: '2026-11-27T13:00:00.000Z', name: 'late' });
      const early = keyRecordFactory({ createdAt: '2026-11-27T11:00:00.000Z', name: 'early' });
      await store.create(late);
      await store.create(early);
      await store.revoke(early.id, new Date('2026-11-27T14:00:00.000Z'));

      const listed = await store.list();

      expect(listed.map((key) => key.name)).toEqual(['early', 'late']);
      expect(listed[0]?.revokedAt).toBe('2026-11-27T14:00:00.000Z');
    });
  });
}
