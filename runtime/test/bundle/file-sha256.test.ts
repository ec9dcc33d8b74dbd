import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '#runtime/bundle/file-sha256.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vibe-sha-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sha256File', () => {
  it('hashes an empty file and "abc" to the FIPS 180-2 values', async () => {
    await writeFile(join(dir, 'empty'), '');
    await writeFile(join(dir, 'abc'), 'abc');
    expect(await sha256File(join(dir, 'empty'))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(await sha256File(join(dir, 'abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('matches a one-shot hash for a file spanning several read chunks', async () => {
    const bytes = Buffer.alloc(8 * 1024 * 1024 * 2 + 12345);
    for (let i = 0; i < bytes.length; i += 997) bytes[i] = i & 0xff;
    await writeFile(join(dir, 'big'), bytes);
    expect(await sha256File(join(dir, 'big'))).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );
  });

  it('rejects with ENOENT for a missing file', async () => {
    await expect(sha256File(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
