import { mkdtempSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalAccessStores } from '#core/keys/access-stores.ts';
import { generateApiKey, parseApiKeyToken, secretMatches } from '#core/keys/api-key.ts';
import { ensureLocalKey, localKeyPath, readLocalKey } from '#runtime/local-mode/local-key.ts';

const root = mkdtempSync(join(tmpdir(), 'vibe-local-key-'));
afterAll(() => rm(root, { recursive: true, force: true }));
let serial = 0;
const newDataDir = () => join(root, String(++serial));

describe('ensureLocalKey', () => {
  it('makes one unlimited admin key on an empty store, saves its token for the owner only, and reuses it', async () => {
    const dataDir = newDataDir();
    const { keys } = createLocalAccessStores(dataDir);

    const first = await ensureLocalKey(keys, dataDir, new Date('2026-11-27T12:00:00Z'));
    const second = await ensureLocalKey(keys, dataDir);

    expect(first).toMatchObject({ created: true, path: localKeyPath(dataDir) });
    expect(second).toEqual({ ...first, created: false });
    const token = first.token ?? '';
    expect(await readLocalKey(dataDir)).toBe(token);
    expect((await readFile(first.path, 'utf8')).trim()).toBe(token);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    const parsed = parseApiKeyToken(token);
    const record = await keys.get(parsed?.id ?? '');
    expect(record).toMatchObject({
      name: 'local',
      admin: true,
      revokedAt: null,
      createdAt: '2026-11-27T12:00:00.000Z',
      limits: { ratePerSecond: null, concurrency: null, jobsPerDay: null },
    });
    // Only the hash is stored.
    expect(secretMatches(parsed?.secret ?? '', record?.secretHash ?? '')).toBe(true);
    expect(JSON.stringify(record)).not.toContain(parsed?.secret);
    expect(await keys.list()).toHaveLength(1);
  });

  it('makes nothing when the operator has keys of their own', async () => {
    const dataDir = newDataDir();
    const { keys } = createLocalAccessStores(dataDir);
    const own = generateApiKey();
    await keys.create({
      id: own.id,
      name: 'mine',
      secretHash: own.secretHash,
      createdAt: new Date().toISOString(),
      revokedAt: null,
      limits: { ratePerSecond: 1, burst: 1, concurrency: 1, jobsPerDay: 1 },
      admin: true,
    });

    const local = await ensureLocalKey(keys, dataDir);

    expect(local).toEqual({ token: undefined, path: localKeyPath(dataDir), created: false });
    expect(await readLocalKey(dataDir)).toBeUndefined();
  });

  it('replaces a saved key that was revoked when no other key is live', async () => {
    const dataDir = newDataDir();
    const { keys } = createLocalAccessStores(dataDir);
    const first = await ensureLocalKey(keys, dataDir);
    await keys.revoke(parseApiKeyToken(first.token ?? '')?.id ?? '', new Date());

    const second = await ensureLocalKey(keys, dataDir);

    expect(second.created).toBe(true);
    expect(second.token).not.toBe(first.token);
    expect(await readLocalKey(dataDir)).toBe(second.token);
  });
});
