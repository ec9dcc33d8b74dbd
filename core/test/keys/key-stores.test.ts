import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3DocumentStore } from '#core/aws/s3-document-store.ts';
import {
  generateApiKey,
  hashSecret,
  keyView,
  parseApiKeyToken,
  secretMatches,
} from '#core/keys/api-key.ts';
import { DocumentKeyStore } from '#core/keys/key-store.ts';
import { describeKeyStoreContract, keyRecordFactory } from '#core/keys/key-store-contract.ts';
import { FsDocumentStore } from '#core/limits/fs-document-store.ts';
import { type FauxqsEmulator, startFauxqs } from '../helpers/fauxqs-emulator.ts';
import { useTempRoot } from '../helpers/temp-dir.ts';

const newDir = useTempRoot('keys');
let plain: FauxqsEmulator;
let conditional: FauxqsEmulator;

beforeAll(async () => {
  [plain, conditional] = await Promise.all([startFauxqs(), startFauxqs({ conditionalPuts: true })]);
});
afterAll(async () => {
  await Promise.all([plain.close(), conditional.close()]);
});

describeKeyStoreContract(
  'local (FsDocumentStore)',
  async () => new DocumentKeyStore(new FsDocumentStore({ root: newDir() })),
);
describeKeyStoreContract(
  'S3 on fauxqs 1.9.2',
  async () =>
    new DocumentKeyStore(
      new S3DocumentStore({ client: plain.clients.s3, bucket: await plain.createBucket() }),
    ),
  { settlesRaces: false },
);
describeKeyStoreContract(
  'S3 on fauxqs 1.9.2 + conditional PUT shim',
  async () =>
    new DocumentKeyStore(
      new S3DocumentStore({
        client: conditional.clients.s3,
        bucket: await conditional.createBucket(),
      }),
    ),
);

describe('API key tokens', () => {
  it('generates vibe_<16 hex id>_<43 base64url secret> and stores only the hash of the secret', () => {
    const key = generateApiKey();

    const parsed = parseApiKeyToken(key.token);

    expect(key.token).toMatch(/^vibe_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(parsed?.id).toBe(key.id);
    expect(key.secretHash).toBe(hashSecret(parsed?.secret ?? ''));
    expect(key.secretHash).not.toContain(parsed?.secret ?? '-');
  });

  it('pins the hash: SHA-256 of the secret text, lowercase hex', () => {
    expect(hashSecret('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('derives the token from the random source, so ids are 8 bytes and secrets 32', () => {
    const sizes: number[] = [];
    const key = generateApiKey((size) => {
      sizes.push(size);
      return Buffer.alloc(size, 0xab);
    });

    expect(sizes).toEqual([8, 32]);
    expect(key.id).toBe('abababababababab');
    expect(key.token).toBe(`vibe_abababababababab_${Buffer.alloc(32, 0xab).toString('base64url')}`);
  });

  it('refuses malformed tokens', () => {
    const { token } = generateApiKey();

    for (const bad of [
      '',
      'vibe_',
      token.slice(0, -1),
      `${token}x`,
      token.replace('vibe_', 'VIBE_'),
      token.replace(/_([0-9a-f]{16})_/, '_ABCDEF0123456789_'),
      ` ${token}`,
    ]) {
      expect(parseApiKeyToken(bad)).toBeUndefined();
    }
  });

  it('matches a secret against its hash and nothing else', () => {
    const key = generateApiKey();
    const secret = parseApiKeyToken(key.token)?.secret ?? '';

    expect(secretMatches(secret, key.secretHash)).toBe(true);
    const other = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    expect(secretMatches(other, key.secretHash)).toBe(false);
    expect(secretMatches(secret, 'a'.repeat(64))).toBe(false);
  });

  it('shows admins every field but the hash', () => {
    const record = keyRecordFactory({ name: 'ci' });

    expect(keyView(record)).not.toHaveProperty('secretHash');
    expect(keyView(record)).toMatchObject({ id: record.id, name: 'ci', admin: false });
  });
});
