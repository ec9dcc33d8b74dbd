/**
 * Throughput of the worker's bundle sync (runtime/src/worker/bundle-sync) on loopback.
 *
 * Method: starts fauxqs (the S3 emulator) in a child process on 127.0.0.1, uploads a generated
 * bundle of about 200 MB (the tiny test bundle's manifest and files plus three random "weights"
 * files of 120, 60 and 20 MB that it lists), then times `syncBundle` into an empty cache with the
 * production settings (BUNDLE_SYNC_DEFAULTS: 16 MiB ranged parts, 16 in flight, sha256 as the
 * parts land, fdatasync before each rename), a second sync on the filled cache (the marker path), and plain sha256 over the same
 * bytes for reference. Everything generated is deleted at the end. The emulator serves from memory
 * on the same (small) machine, so the number bounds the sync's own cost (HTTP parsing, writes,
 * read-back and hashing on one event loop) and this machine's disk; it is not an S3 throughput.
 * Set TMPDIR to put the cache elsewhere (e.g. /dev/shm to leave the disk out).
 *
 *   node --import tsx runtime/bench/bundle-sync-throughput.ts [--runs 3] [--part-mib 16] [--concurrency 16]
 *
 * The tiny bundle's graphs are not a real model: they are here only so that the manifest is valid.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createAwsClients } from '#core/aws/aws-clients.ts';
import { BUNDLE_SYNC_DEFAULTS, syncBundle } from '#runtime/worker/bundle-sync/sync-bundle.ts';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';
import { type ManifestFiles, uploadBundle } from '../test/worker/bundle-sync/s3-bundle-fixture.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'part-mib': { type: 'string' },
    concurrency: { type: 'string' },
  },
});
const runs = Number(values.runs);
const settings = {
  ...(values['part-mib'] === undefined ? {} : { partBytes: Number(values['part-mib']) * 2 ** 20 }),
  ...(values.concurrency === undefined ? {} : { concurrency: Number(values.concurrency) }),
};
const MB = 1e6;
const WEIGHTS: Readonly<Record<string, number>> = {
  'weights/dit.onnx_data': 120 * MB,
  'weights/lm.onnx_data': 60 * MB,
  'weights/vision.onnx_data': 20 * MB,
};

const EMULATOR = `
import { buildApp } from 'fauxqs';
const app = buildApp({ logger: false });
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(String(app.server.address().port) + '\\n');
`;

async function startEmulator(): Promise<{ endpoint: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', EMULATOR], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`fauxqs exited with ${code}`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

const emulator = await startEmulator();
const { s3 } = createAwsClients({
  endpoint: emulator.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
});
const work = await mkdtemp(join(tmpdir(), 'vibe-bundle-sync-bench-'));
try {
  await s3.send(new CreateBucketCommand({ Bucket: 'vibe-bench' }));
  const tiny = await ensureTinyBundle({ precision: 'float32' });
  const extra: Record<string, Buffer> = {};
  for (const [path, bytes] of Object.entries(WEIGHTS)) extra[path] = randomBytes(bytes);
  const manifest: ManifestFiles = await uploadBundle(s3, 'vibe-bench', 'models/vibe/v1/', tiny, {
    extra,
    manifest: (m) => {
      for (const [path, bytes] of Object.entries(extra)) {
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        m.files[path] = { sha256, bytes: bytes.byteLength };
      }
      return m;
    },
  });
  const totalBytes = Object.values(manifest.files).reduce((sum, e) => sum + e.bytes, 0);

  const hashStart = performance.now();
  for (const bytes of Object.values(extra)) createHash('sha256').update(bytes).digest();
  const hashMs = performance.now() - hashStart;
  const extraBytes = Object.values(extra).reduce((sum, b) => sum + b.byteLength, 0);

  console.log(
    `bundle ${(totalBytes / MB).toFixed(1)} MB in ${Object.keys(manifest.files).length} files; ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; node ${process.version}`,
  );
  console.log(`sha256 alone: ${(extraBytes / MB / (hashMs / 1000)).toFixed(0)} MB/s`);
  console.log(`settings: ${JSON.stringify({ ...BUNDLE_SYNC_DEFAULTS, ...settings })}`);
  for (let run = 1; run <= runs; run++) {
    const cacheDir = join(work, `cache-${run}`);
    const uri = 's3://vibe-bench/models/vibe/v1/';
    const cold = await syncBundle({ s3, uri, cacheDir, settings });
    const warm = await syncBundle({ s3, uri, cacheDir, settings });
    const check = await readFile(join(cold.dir, 'weights', 'vision.onnx_data'));
    if (!check.equals(extra['weights/vision.onnx_data'] ?? Buffer.alloc(0))) {
      throw new Error('the synced file differs from the uploaded one');
    }
    console.log(
      `run ${run}: cold sync ${cold.ms} ms = ${(cold.downloadedBytes / MB / (cold.ms / 1000)).toFixed(0)} MB/s (${cold.downloadedFiles} files); warm sync ${warm.ms} ms (${warm.downloadedFiles} files downloaded)`,
    );
    await rm(cacheDir, { recursive: true, force: true });
  }
} finally {
  s3.destroy();
  emulator.stop();
  await rm(work, { recursive: true, force: true });
}
