import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelUri } from '#runtime/worker/bundle-sync/model-uri.ts';
import { type BundleSyncSettings, syncBundle } from '#runtime/worker/bundle-sync/sync-bundle.ts';
import { SYNC_FILES } from '#runtime/worker/bundle-sync/sync-marker.ts';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';
import { type FauxqsEmulator, startFauxqs } from '../../../../core/test/helpers/fauxqs-emulator.ts';
import { useTempRoot } from '../worker-harness.ts';
import { countingS3, type ManifestFiles, uploadBundle } from './s3-bundle-fixture.ts';

const newDir = useTempRoot('bundle-sync-failures');
const MiB = 1024 * 1024;
const FAST: Partial<BundleSyncSettings> = {
  partBytes: MiB,
  concurrency: 4,
  pollMs: 20,
  lockRefreshMs: 50,
  retryDelayMs: 1,
};
const TOKENIZER = 'tokenizer/tokenizer.json';

let emulator: FauxqsEmulator;
let bucket: string;
let tinyDir: string;
let manifest: ManifestFiles;
const clients: S3Client[] = [];

beforeAll(async () => {
  emulator = await startFauxqs();
  bucket = await emulator.createBucket();
  tinyDir = await ensureTinyBundle({ precision: 'float32' });
  manifest = await uploadBundle(emulator.clients.s3, bucket, 'models/vibe/v1/', tinyDir);
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await emulator?.close();
});

/** A client whose first GET of `key` answers with `body` instead of the object. */
function clientWithFirstBody(key: string, body: () => Readable) {
  const client = countingS3(emulator.endpoint);
  clients.push(client.s3);
  let replaced = false;
  client.s3.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const input = args.input as { Key?: string };
      if (!replaced && context.commandName === 'GetObjectCommand' && input.Key === key) {
        replaced = true;
        const output = out.output as { Body?: unknown };
        (output.Body as Readable).destroy();
        output.Body = body();
      }
      return out;
    },
    { step: 'initialize', name: 'replaceFirstBody' },
  );
  return client;
}

async function expectTokenizerIntact(dir: string): Promise<void> {
  const bytes = await readFile(join(dir, 'tokenizer', 'tokenizer.json'));
  const entry = manifest.files[TOKENIZER];
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry?.sha256);
}

describe('syncBundle when S3 misbehaves', () => {
  it('retries a part whose connection breaks mid-body', async () => {
    const { s3, gets } = clientWithFirstBody(
      `models/vibe/v1/${TOKENIZER}`,
      () =>
        new Readable({
          read() {
            this.push(Buffer.alloc(1000, 7));
            this.destroy(new Error('socket hang up'));
          },
        }),
    );

    const result = await syncBundle({
      s3,
      uri: `s3://${bucket}/models/vibe/v1/`,
      cacheDir: newDir(),
      settings: FAST,
    });

    await expectTokenizerIntact(result.dir);
    expect(gets.get(`models/vibe/v1/${TOKENIZER}`)).toBe(11 + 1);
  });

  it('retries a part whose connection stalls, after the idle limit', async () => {
    const { s3, gets } = clientWithFirstBody(
      `models/vibe/v1/${TOKENIZER}`,
      () => new Readable({ read() {} }),
    );

    const result = await syncBundle({
      s3,
      uri: `s3://${bucket}/models/vibe/v1/`,
      cacheDir: newDir(),
      settings: { ...FAST, idleMs: 150 },
    });

    await expectTokenizerIntact(result.dir);
    expect(gets.get(`models/vibe/v1/${TOKENIZER}`)).toBe(12);
  });

  it('stops with CanceledError when aborted mid-download and leaves no temporary files or lock', async () => {
    const abort = new AbortController();
    const { s3 } = clientWithFirstBody(
      `models/vibe/v1/${TOKENIZER}`,
      () =>
        new Readable({
          read() {
            this.push(Buffer.alloc(1000, 7));
            abort.abort(new Error('SIGTERM'));
          },
        }),
    );
    const cacheDir = newDir();

    const sync = syncBundle({
      s3,
      uri: `s3://${bucket}/models/vibe/v1/`,
      cacheDir,
      settings: FAST,
      signal: abort.signal,
    });

    await expect(sync).rejects.toMatchObject({ name: 'CanceledError', code: 'CANCELED' });
    const left = await readdir(join(cacheDir, 'v1'), { recursive: true });
    expect(left.filter((name) => name.endsWith(SYNC_FILES.partial))).toEqual([]);
    expect(left).not.toContain(SYNC_FILES.lock);
    expect(left).not.toContain(SYNC_FILES.marker);
  });

  it('refuses a manifest that lists a path outside the folder or one the cache reserves', async () => {
    const bad = async (version: string, path: string) => {
      await uploadBundle(emulator.clients.s3, bucket, `models/vibe/${version}/`, tinyDir, {
        manifest: (m) => {
          m.files[path] = { sha256: 'a'.repeat(64), bytes: 1 };
          return m;
        },
      });
      const { s3 } = countingS3(emulator.endpoint);
      clients.push(s3);
      return syncBundle({ s3, uri: `s3://${bucket}/models/vibe/${version}/`, cacheDir: newDir() });
    };

    await expect(bad('v-escape', '../../etc/cron.d/x')).rejects.toMatchObject({
      code: 'BUNDLE_INVALID',
      details: { file: 'manifest.json', field: 'files["../../etc/cron.d/x"]' },
    });
    await expect(bad('v-reserved', SYNC_FILES.marker)).rejects.toMatchObject({
      code: 'BUNDLE_INVALID',
      details: { field: `files["${SYNC_FILES.marker}"]` },
    });
  });
});

describe('parseModelUri', () => {
  it('splits bucket, prefix and version, adding the trailing slash', () => {
    expect(parseModelUri('s3://vibe-images/models/vibe/v1')).toEqual({
      uri: 's3://vibe-images/models/vibe/v1/',
      bucket: 'vibe-images',
      prefix: 'models/vibe/v1/',
      version: 'v1',
    });
    expect(parseModelUri('s3://b12/v2/').version).toBe('v2');
  });

  it.each([
    'bucket/models/v1',
    's3://bucket/',
    's3://Bucket/v1/',
    's3://bucket/models/../v1/',
    's3://bucket/models//v1/',
    's3://bucket/models/v 1/',
  ])('refuses %s', (uri) => {
    expect(() => parseModelUri(uri)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('s3://bucket/prefix/version/'),
      }),
    );
  });
});
