import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLocalAccessStores } from '#core/keys/access-stores.ts';
import { DocumentKeyStore } from '#core/keys/key-store.ts';
import { MemoryDocumentStore } from '#core/limits/memory-document-store.ts';
import { runKeysCli } from '#functions/admin/keys-cli.ts';
import { useTempRoot } from '../helpers/api-harness.ts';

const tempDir = useTempRoot('keys-cli');

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      store: new DocumentKeyStore(new MemoryDocumentStore()),
      out: (text: string) => out.push(text),
      err: (text: string) => err.push(text),
      now: () => new Date('2026-11-27T12:00:00.000Z'),
    },
  };
}

describe('keys CLI', () => {
  it('creates a key with limits ("none" is unlimited), lists it and revokes it', async () => {
    const t = io();

    const created = await runKeysCli(
      [
        'create',
        '--name',
        'ci',
        '--rate',
        '2.5',
        '--burst',
        '4',
        '--concurrency',
        'none',
        '--quota',
        '50',
        '--admin',
      ],
      t.io,
    );
    const { key, token } = JSON.parse(t.out[0] ?? '{}');
    await runKeysCli(['list'], t.io);
    await runKeysCli(['revoke', key.id], t.io);

    expect(created).toBe(0);
    expect(key).toMatchObject({
      name: 'ci',
      admin: true,
      limits: { ratePerSecond: 2.5, burst: 4, concurrency: null, jobsPerDay: 50 },
    });
    expect(token).toMatch(/^vibe_[0-9a-f]{16}_/);
    expect(t.err[0]).toContain('shown once');
    expect(JSON.parse(t.out[1] ?? '[]')).toEqual([key]);
    expect(JSON.parse(t.out[2] ?? '{}').revokedAt).toBe('2026-11-27T12:00:00.000Z');
  });

  it('exits 2 with the usage for a bad command or option, 1 for a refused operation', async () => {
    const t = io();

    expect(await runKeysCli(['rotate'], t.io)).toBe(2);
    expect(await runKeysCli(['create', '--nom', 'x'], t.io)).toBe(2);
    expect(await runKeysCli(['create', '--name', 'x', '--rate', 'fast'], t.io)).toBe(1);
    expect(await runKeysCli(['revoke', '0123456789abcdef'], t.io)).toBe(1);
    expect(t.err.join('')).toContain('Usage: keys');
    expect(t.err.join('')).toContain('NOT_FOUND');
  });

  it('runs as a process on the local data folder (keys-main.ts)', async () => {
    const dataDir = tempDir();
    const run = (...args: string[]) =>
      promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'functions/src/admin/keys-main.ts', ...args],
        {
          env: { ...process.env, VIBE_MODE: 'local', VIBE_DATA_DIR: dataDir },
        },
      );

    const { stdout } = await run('create', '--name', 'from-cli', '--quota', '10');

    const { key } = JSON.parse(stdout);
    expect(await createLocalAccessStores(dataDir).keys.get(key.id)).toMatchObject({
      name: 'from-cli',
      limits: { jobsPerDay: 10 },
    });
  });
});
