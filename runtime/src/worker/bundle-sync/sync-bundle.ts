import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { CanceledError } from '#core/errors.ts';
import { sha256File } from '#runtime/bundle/file-sha256.ts';
import type { BundleManifest } from '#runtime/bundle/manifest-schema.ts';
import { silentLog, type WorkerLog } from '../worker-log.ts';
import { breakStaleLock, tryAcquireLock } from './cache-lock.ts';
import { type DownloadSettings, downloadFiles } from './download-files.ts';
import { sleep } from './fetch-range.ts';
import type { FileSpec } from './file-download.ts';
import { hasCode } from './fs-errors.ts';
import { parseModelUri } from './model-uri.ts';
import { bundleFiles, fetchManifest } from './remote-manifest.ts';
import {
  matchesMarker,
  readMarker,
  removeMarker,
  SYNC_FILES,
  type SyncMarker,
  statOrUndefined,
  writeFileAtomic,
  writeMarker,
} from './sync-marker.ts';

export interface BundleSyncSettings extends DownloadSettings {
  /** How often the downloading task touches its lock file. */
  readonly lockRefreshMs: number;
  /** A lock untouched this long belongs to a dead task and is taken over. */
  readonly lockStaleMs: number;
  /** How often a waiting task looks at the lock and the marker. */
  readonly pollMs: number;
}

/**
 * Defaults sized for multi-GB bundles from S3 over a gateway endpoint. 16 MiB ranges are what AWS
 * recommends for byte-range GETs (8 or 16 MB, aligned with the 8 MiB parts `aws s3 cp` uploads);
 * 16 of them in flight reach about 1.4 GB/s at the 85-90 MB/s one S3 connection gives
 * (docs/deploy.md, "Cold start"), while a broken connection costs at most 16 MiB again.
 */
export const BUNDLE_SYNC_DEFAULTS: BundleSyncSettings = {
  concurrency: 16,
  partBytes: 16 * 1024 * 1024,
  idleMs: 30_000,
  attempts: 4,
  retryDelayMs: 1_000,
  progressMs: 10_000,
  lockRefreshMs: 5_000,
  lockStaleMs: 30_000,
  pollMs: 1_000,
};

export interface SyncBundleOptions {
  readonly s3: S3Client;
  /** `s3://bucket/prefix/version/`: the folder holding manifest.json and the files it lists. */
  readonly uri: string;
  /** The host's model cache; the bundle goes to `<cacheDir>/<version>/`. */
  readonly cacheDir: string;
  readonly settings?: Partial<BundleSyncSettings>;
  /** Aborting stops the download (or the wait) with CanceledError; temporary files are removed. */
  readonly signal?: AbortSignal;
  readonly log?: WorkerLog;
}

/** What a sync found and did. */
export interface BundleSyncResult {
  /** The version folder, ready for `loadBundle` (every file verified). */
  readonly dir: string;
  readonly manifest: BundleManifest;
  readonly totalBytes: number;
  readonly downloadedFiles: number;
  readonly downloadedBytes: number;
  /** Cached files this call hashed because no valid marker vouched for them. */
  readonly hashedFiles: number;
  /** True when another task held the lock and this call waited for it. */
  readonly waitedForLock: boolean;
  readonly ms: number;
}

/**
 * Makes `<cacheDir>/<version>/` a verified copy of the bundle at `uri`. Reads manifest.json from
 * S3 and checks it (schema, graph contract, safe paths) before downloading anything. Then:
 * - a completion marker for this manifest whose files still have their verified size and mtime:
 *   nothing to do (a restart on the same host costs one GET and a stat per file);
 * - otherwise the task that creates the lock file downloads what is missing, has the wrong size
 *   or fails its sha256 (see `downloadFiles`), writes manifest.json and then the marker; the
 *   other tasks on the host wait for the marker, and take the lock over when its holder stopped
 *   touching it for `lockStaleMs`.
 * @throws BundleError naming the file (missing in S3, size or sha256 mismatch, invalid manifest),
 *   CanceledError when `signal` aborts, DependencyError when S3 keeps failing.
 */
export async function syncBundle(options: SyncBundleOptions): Promise<BundleSyncResult> {
  const started = performance.now();
  const settings = { ...BUNDLE_SYNC_DEFAULTS, ...options.settings };
  const log = options.log ?? silentLog;
  const signal = options.signal ?? new AbortController().signal;
  const location = parseModelUri(options.uri);
  const dir = join(resolve(options.cacheDir), location.version);
  await mkdir(dir, { recursive: true });
  const text = await fetchManifest(options.s3, location, signal);
  const { manifest, files } = bundleFiles(location, dir, text);
  const manifestSha256 = createHash('sha256').update(text).digest('hex');
  const totalBytes = files.reduce((sum, file) => sum + file.bytes, 0);
  const complete = (marker: SyncMarker | undefined) =>
    isComplete(dir, marker, manifestSha256, files);
  const done = (work: { downloaded: readonly FileSpec[]; bytes: number; hashed: number }) => ({
    dir,
    manifest,
    totalBytes,
    downloadedFiles: work.downloaded.length,
    downloadedBytes: work.bytes,
    hashedFiles: work.hashed,
    waitedForLock,
    ms: Math.round(performance.now() - started),
  });

  const lockPath = join(dir, SYNC_FILES.lock);
  let waitedForLock = false;
  for (;;) {
    if (signal.aborted) throw canceled(location.uri, signal.reason);
    if (await complete(await readMarker(dir))) return done({ downloaded: [], bytes: 0, hashed: 0 });
    const lock = await tryAcquireLock(lockPath, { refreshMs: settings.lockRefreshMs, log });
    if (lock !== undefined) {
      try {
        const marker = await readMarker(dir);
        if (await complete(marker)) return done({ downloaded: [], bytes: 0, hashed: 0 });
        const context = { s3: options.s3, settings, log, signal, location, dir };
        return done(await syncLocked(context, marker, { text, manifestSha256, files }));
      } finally {
        await lock.release();
      }
    }
    if (!waitedForLock) {
      log.info('another task on this host is downloading the model bundle; waiting for it', {
        bundle: location.uri,
        dir,
      });
    }
    waitedForLock = true;
    if (await breakStaleLock(lockPath, settings.lockStaleMs)) {
      log.warn('took over the bundle cache lock of a task that stopped', {
        dir,
        staleAfterMs: settings.lockStaleMs,
      });
      continue;
    }
    await sleep(settings.pollMs, signal).catch((error: unknown) => {
      throw canceled(location.uri, error);
    });
  }
}

interface LockedContext {
  readonly s3: S3Client;
  readonly settings: BundleSyncSettings;
  readonly log: WorkerLog;
  readonly signal: AbortSignal;
  readonly location: ReturnType<typeof parseModelUri>;
  readonly dir: string;
}

/** The remote manifest: its text, its sha256 and the files it lists. */
interface RemoteBundle {
  readonly text: string;
  readonly manifestSha256: string;
  readonly files: readonly FileSpec[];
}

/** The work of the lock holder: verify what is cached, download the rest, write the marker. */
async function syncLocked(
  context: LockedContext,
  marker: SyncMarker | undefined,
  remote: RemoteBundle,
): Promise<{ downloaded: readonly FileSpec[]; bytes: number; hashed: number }> {
  const { settings, log, signal, location, dir } = context;
  const { text, manifestSha256, files } = remote;
  await removeMarker(dir);
  await removeStalePartials(dir, settings.lockStaleMs);
  const missing: FileSpec[] = [];
  let hashed = 0;
  for (const file of files) {
    if (signal.aborted) throw canceled(location.uri, signal.reason);
    if (await matchesMarker(marker, file)) continue;
    const info = await statOrUndefined(file.target);
    if (info?.isFile() === true && info.size === file.bytes) {
      hashed += 1;
      if ((await sha256File(file.target)) === file.sha256) continue;
      log.warn('a cached model bundle file fails its sha256; downloading it again', {
        dir,
        file: file.path,
      });
    }
    missing.push(file);
  }
  const bytes = missing.reduce((sum, file) => sum + file.bytes, 0);
  log.info('downloading the model bundle', {
    bundle: location.uri,
    dir,
    files: missing.length,
    bytes,
    cachedFiles: files.length - missing.length,
  });
  const downloaded = await downloadFiles(context.s3, location, missing, settings, {
    signal,
    log,
  });
  // manifest.json, then the marker: whoever sees the marker finds every file it lists.
  await writeFileAtomic(join(dir, 'manifest.json'), text);
  const verified: SyncMarker['files'] = {};
  for (const file of files) {
    const info = await statOrUndefined(file.target);
    if (info === undefined) throw new Error(`Expected ${file.target} after the download`);
    verified[file.path] = { sha256: file.sha256, bytes: file.bytes, mtimeMs: info.mtimeMs };
  }
  await writeMarker(dir, {
    source: location.uri,
    manifestSha256,
    completedAt: new Date().toISOString(),
    files: verified,
  });
  return { downloaded: missing, bytes: downloaded, hashed };
}

async function isComplete(
  dir: string,
  marker: SyncMarker | undefined,
  manifestSha256: string,
  files: readonly FileSpec[],
): Promise<boolean> {
  if (marker?.manifestSha256 !== manifestSha256) return false;
  const local = await readFile(join(dir, 'manifest.json')).catch((error: unknown) => {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  });
  if (local === undefined) return false;
  if (createHash('sha256').update(local).digest('hex') !== manifestSha256) return false;
  for (const file of files) {
    if (!(await matchesMarker(marker, file))) return false;
  }
  return true;
}

/** Deletes temporary files that a task killed mid-download left behind. */
async function removeStalePartials(dir: string, staleMs: number): Promise<void> {
  const names = await readdir(dir, { recursive: true });
  for (const name of names) {
    if (!name.endsWith(SYNC_FILES.partial)) continue;
    const path = join(dir, name);
    const info = await statOrUndefined(path);
    // A fresh one may belong to a task that raced this one for a stale lock: leave it.
    if (info === undefined || Date.now() - info.mtimeMs < staleMs) continue;
    await unlink(path).catch((error: unknown) => {
      if (!hasCode(error, 'ENOENT')) throw error;
    });
  }
}

function canceled(uri: string, cause: unknown): CanceledError {
  return new CanceledError(`The sync of the model bundle ${uri} was canceled`, { cause });
}
