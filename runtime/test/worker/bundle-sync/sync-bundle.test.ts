import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle } from '#runtime/bundle/load-bundle.ts';
import { type BundleSyncSettings, syncBundle } from '#runtime/worker/bundle-sync/sync-bundle.ts';
import { readMarker, SYNC_FILES } from '#runtime/worker/bundle-sync/sync-marker.ts';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';
import { type FauxqsEmulator, startFauxqs } from '../../../../core/test/helpers/fauxqs-emulator.ts';
import { useTempRoot } from '../worker-harness.ts';
import { countingS3, fileGets, type ManifestFiles, uploadBundle } from './s3-bundle-fixture.ts';

const newDir = useTempRoot('bundle-sync');
const MiB = 1024 * 1024;
/** Small parts, so that the larger files of the tiny bundle arrive in several ranged GETs. */
const FAST: Partial<BundleSyncSettings> = {
  partBytes: MiB,
  concurrency: 4,
  pollMs: 20,
  lockRefreshMs: 50,
  retryDelayMs: 1,
};

let emulator: FauxqsEmulator;
let bucket: string;
let tinyDir: string;
let manifest: ManifestFiles;
const clients: S3Client[] = [];

function counted() {
  const client = countingS3(emulator.endpoint);
  clients.push(client.s3);
  return client;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const uri = (version: string) => `s3://${bucket}/models/vibe/${version}/`;
const partsOf = (bytes: number) => Math.max(1, Math.ceil(bytes / MiB));

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

describe('syncBundle', () => {
  it('downloads a fresh bundle in ranged parts, verified, with manifest and marker', async () => {
    const cacheDir = newDir();
    const { s3, gets } = counted();

    const result = await syncBundle({ s3, uri: uri('v1'), cacheDir, settings: FAST });

    const files = Object.entries(manifest.files);
    const totalBytes = files.reduce((sum, [, entry]) => sum + entry.bytes, 0);
    expect(result).toMatchObject({
      dir: join(cacheDir, 'v1'),
      totalBytes,
      downloadedFiles: files.length,
      downloadedBytes: totalBytes,
      hashedFiles: 0,
      waitedForLock: false,
    });
    for (const [path, entry] of files) {
      const bytes = await readFile(join(result.dir, ...path.split('/')));
      expect(sha256(bytes), path).toBe(entry.sha256);
      expect(gets.get(`models/vibe/v1/${path}`), path).toBe(partsOf(entry.bytes));
    }
    expect(gets.get('models/vibe/v1/tokenizer/tokenizer.json')).toBe(11);
    expect(await readMarker(result.dir)).toMatchObject({ source: uri('v1') });
    expect(await readdir(result.dir, { recursive: true })).not.toContain(SYNC_FILES.lock);
    const loaded = await loadBundle(result.dir);
    expect(loaded.manifest.model.name).toBe('vibe-tiny-test');
  });

  it('downloads nothing on a second sync: one manifest GET and a stat per file', async () => {
    const cacheDir = newDir();
    await syncBundle({ s3: counted().s3, uri: uri('v1'), cacheDir, settings: FAST });
    const { s3, gets } = counted();

    const again = await syncBundle({ s3, uri: uri('v1'), cacheDir, settings: FAST });

    expect(again).toMatchObject({ downloadedFiles: 0, downloadedBytes: 0, hashedFiles: 0 });
    expect([...gets]).toEqual([['models/vibe/v1/manifest.json', 1]]);
  });

  it('hashes a cached file written since the marker and downloads it again when corrupt', async () => {
    const cacheDir = newDir();
    const first = await syncBundle({ s3: counted().s3, uri: uri('v1'), cacheDir, settings: FAST });
    const corrupt = join(first.dir, 'hid_null.f32');
    const original = await readFile(corrupt);
    const flipped = Buffer.from(original);
    flipped[1000] = (flipped[1000] ?? 0) ^ 0xff;
    await writeFile(corrupt, flipped);
    const { s3, gets } = counted();

    const result = await syncBundle({ s3, uri: uri('v1'), cacheDir, settings: FAST });

    expect(result).toMatchObject({ downloadedFiles: 1, hashedFiles: 1 });
    expect(fileGets(gets)).toBe(partsOf(original.byteLength));
    expect((await readFile(corrupt)).equals(original)).toBe(true);
    const marker = await readMarker(result.dir);
    expect(marker?.files['hid_null.f32']?.mtimeMs).toBe((await stat(corrupt)).mtimeMs);
  });

  it('refuses a file whose sha256 in S3 differs from the manifest, naming it, and keeps nothing', async () => {
    await uploadBundle(emulator.clients.s3, bucket, 'models/vibe/v-bad-sha/', tinyDir, {
      tamper: (path, bytes) => {
        if (path !== 'qwen_embed.onnx') return bytes;
        const copy = Buffer.from(bytes);
        copy[10] = (copy[10] ?? 0) ^ 0x01;
        return copy;
      },
    });
    const cacheDir = newDir();

    const sync = syncBundle({ s3: counted().s3, uri: uri('v-bad-sha'), cacheDir, settings: FAST });

    await expect(sync).rejects.toMatchObject({
      name: 'BundleError',
      code: 'BUNDLE_INVALID',
      message: expect.stringMatching(
        /qwen_embed\.onnx \(field files\["qwen_embed\.onnx"\]\.sha256\): expected sha256 [0-9a-f]{64} but found sha256 [0-9a-f]{64} in the downloaded file/,
      ),
      details: { file: 'qwen_embed.onnx', bundle: uri('v-bad-sha') },
    });
    const left = await readdir(join(cacheDir, 'v-bad-sha'), { recursive: true });
    expect(left).not.toContain('qwen_embed.onnx');
    expect(left).not.toContain('manifest.json');
    expect(left).not.toContain(SYNC_FILES.marker);
    expect(left.filter((name) => name.endsWith(SYNC_FILES.partial))).toEqual([]);
  });

  it('refuses an S3 object whose size differs from the manifest, and a listed object that is missing', async () => {
    await uploadBundle(emulator.clients.s3, bucket, 'models/vibe/v-bad-size/', tinyDir, {
      tamper: (path, bytes) =>
        path === 'dit.onnx' ? bytes.subarray(0, bytes.byteLength - 1) : bytes,
    });
    await uploadBundle(emulator.clients.s3, bucket, 'models/vibe/v-missing/', tinyDir, {
      manifest: (m) => {
        m.files['extra/absent.bin'] = { sha256: 'a'.repeat(64), bytes: 5 };
        return m;
      },
    });
    const s3 = counted().s3;

    await expect(
      syncBundle({ s3, uri: uri('v-bad-size'), cacheDir: newDir(), settings: FAST }),
    ).rejects.toMatchObject({
      code: 'BUNDLE_INVALID',
      details: { file: 'dit.onnx', field: 'files["dit.onnx"].bytes' },
    });
    await expect(
      syncBundle({ s3, uri: uri('v-missing'), cacheDir: newDir(), settings: FAST }),
    ).rejects.toMatchObject({
      code: 'BUNDLE_MISSING',
      message: expect.stringContaining('extra/absent.bin'),
    });
    await expect(
      syncBundle({ s3, uri: uri('v-nothing-here'), cacheDir: newDir(), settings: FAST }),
    ).rejects.toMatchObject({ code: 'BUNDLE_MISSING', details: { file: 'manifest.json' } });
  });

  it('lets one of two concurrent syncs download while the other waits for its marker', async () => {
    const cacheDir = newDir();
    const a = counted();
    const b = counted();

    const [first, second] = await Promise.all([
      syncBundle({ s3: a.s3, uri: uri('v1'), cacheDir, settings: FAST }),
      syncBundle({ s3: b.s3, uri: uri('v1'), cacheDir, settings: FAST }),
    ]);

    const results = [first, second];
    const files = Object.keys(manifest.files).length;
    expect(results.map((r) => r.downloadedFiles).sort((x, y) => x - y)).toEqual([0, files]);
    const waiter = results.find((r) => r.downloadedFiles === 0);
    expect(waiter?.waitedForLock).toBe(true);
    const parts = Object.values(manifest.files).reduce((sum, e) => sum + partsOf(e.bytes), 0);
    expect(fileGets(a.gets) + fileGets(b.gets)).toBe(parts);
    expect(first.dir).toBe(second.dir);
  });

  it('takes over a lock whose holder stopped touching it', async () => {
    const cacheDir = newDir();
    const lockPath = join(cacheDir, 'v1', SYNC_FILES.lock);
    await mkdir(join(cacheDir, 'v1'), { recursive: true });
    await writeFile(lockPath, JSON.stringify({ token: 'a-dead-task', pid: 1 }));
    const deadSince = new Date(Date.now() - 60_000);
    await utimes(lockPath, deadSince, deadSince);

    const result = await syncBundle({
      s3: counted().s3,
      uri: uri('v1'),
      cacheDir,
      settings: { ...FAST, lockStaleMs: 5_000 },
    });

    expect(result).toMatchObject({ waitedForLock: true, downloadedFiles: 12 });
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('waits for a live lock and takes it over only once it goes stale', async () => {
    const cacheDir = newDir();
    await mkdir(join(cacheDir, 'v1'), { recursive: true });
    await writeFile(join(cacheDir, 'v1', SYNC_FILES.lock), JSON.stringify({ token: 'stuck' }));
    const started = Date.now();

    const result = await syncBundle({
      s3: counted().s3,
      uri: uri('v1'),
      cacheDir,
      settings: { ...FAST, lockStaleMs: 400 },
    });

    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(result).toMatchObject({ waitedForLock: true, downloadedFiles: 12 });
  });
});
