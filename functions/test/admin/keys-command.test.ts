import { describe, expect, it } from 'vitest';
import { parseApiKeyToken, secretMatches } from '#core/keys/api-key.ts';
import { DocumentKeyStore } from '#core/keys/key-store.ts';
import { MemoryDocumentStore } from '#core/limits/memory-document-store.ts';
import {
  bootstrapLocalAdminKey,
  createKey,
  listKeys,
  revokeKey,
} from '#functions/admin/keys-command.ts';

const NOW = new Date('2026-11-27T12:00:00.000Z');

describe('key admin commands', () => {
  it('creates a key with the default limits, storing only the hash of its secret', async () => {
    const docs = new MemoryDocumentStore();
    const store = new DocumentKeyStore(docs);

    const { key, token } = await createKey(store, { name: ' ci ' }, NOW);

    const stored = await store.get(key.id);
    const secret = parseApiKeyToken(token)?.secret ?? '';
    expect(key).toMatchObject({
      name: 'ci',
      admin: false,
      limits: { ratePerSecond: 5, burst: 10, concurrency: 4, jobsPerDay: 1000 },
    });
    expect(secretMatches(secret, stored?.secretHash ?? '')).toBe(true);
    expect(JSON.stringify((await docs.get(`keys/${key.id}.json`))?.value)).not.toContain(secret);
  });

  it('refuses bad input with messages that say what is allowed', async () => {
    const store = new DocumentKeyStore(new MemoryDocumentStore());

    await expect(createKey(store, { name: '' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('1 to 100 characters'),
    });
    await expect(createKey(store, { name: 'x', ratePerSecond: -1 })).rejects.toMatchObject({
      message: expect.stringContaining('"ratePerSecond" to be a positive number up to 100000'),
    });
    await expect(createKey(store, { name: 'x', concurrency: 1.5 })).rejects.toMatchObject({
      message: expect.stringContaining('"concurrency" to be a positive integer'),
    });
    await expect(revokeKey(store, 'vibe_abc')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('revokes and lists', async () => {
    const store = new DocumentKeyStore(new MemoryDocumentStore());
    const { key } = await createKey(store, { name: 'a' }, NOW);

    const revoked = await revokeKey(store, key.id, new Date('2026-11-28T00:00:00.000Z'));

    expect(revoked.revokedAt).toBe('2026-11-28T00:00:00.000Z');
    expect(await listKeys(store)).toEqual([revoked]);
  });

  it('bootstraps one unlimited admin key on an empty store, and nothing afterwards', async () => {
    const store = new DocumentKeyStore(new MemoryDocumentStore());

    const first = await bootstrapLocalAdminKey(store, NOW);
    const second = await bootstrapLocalAdminKey(store, NOW);

    expect(first?.key).toMatchObject({
      name: 'local-admin',
      admin: true,
      limits: { ratePerSecond: null, concurrency: null, jobsPerDay: null },
    });
    expect(first?.token).toMatch(/^vibe_/);
    expect(second).toBeUndefined();
    expect(await listKeys(store)).toHaveLength(1);
  });
});
