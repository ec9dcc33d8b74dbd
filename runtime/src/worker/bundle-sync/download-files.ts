import type { S3Client } from '@aws-sdk/client-s3';
import { CanceledError } from '#core/errors.ts';
import { silentLog, type WorkerLog } from '../worker-log.ts';
import { fetchRange } from './fetch-range.ts';
import { FileDownload, type FilePart, type FileSpec } from './file-download.ts';
import type { ModelLocation } from './model-uri.ts';

export interface DownloadSettings {
  /** Ranged GETs in flight at once, over all files. */
  readonly concurrency: number;
  /** Size of one ranged GET. */
  readonly partBytes: number;
  readonly idleMs: number;
  readonly attempts: number;
  readonly retryDelayMs: number;
  /** How often progress is logged. */
  readonly progressMs: number;
}

interface PartTask {
  readonly download: FileDownload;
  readonly index: number;
  readonly part: FilePart;
}

/**
 * Downloads `files` from the bundle's S3 folder: every file is cut into `partBytes` ranges and
 * the ranges of all files go through one pool of `concurrency` GETs (one S3 connection tops out
 * near 100 MB/s, so a multi-GB graph needs several at once). Each file is hashed as its parts land
 * and renamed into place once verified. The first failure aborts the rest and deletes every
 * temporary file. Resolves with the bytes downloaded.
 * @throws BundleError (missing object, size or sha256 mismatch, naming the file), CanceledError,
 *   DependencyError.
 */
export async function downloadFiles(
  s3: S3Client,
  location: ModelLocation,
  files: readonly FileSpec[],
  settings: DownloadSettings,
  options: { readonly signal?: AbortSignal; readonly log?: WorkerLog } = {},
): Promise<number> {
  const log = options.log ?? silentLog;
  const abort = new AbortController();
  const onAbort = (): void => abort.abort(options.signal?.reason);
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const downloads: FileDownload[] = [];
  const finishing: Promise<void>[] = [];
  let failure: { readonly error: unknown } | undefined;
  const fail = (error: unknown): void => {
    failure ??= { error };
    abort.abort(error);
  };
  const totalBytes = files.reduce((sum, file) => sum + file.bytes, 0);
  let downloaded = 0;
  const started = performance.now();
  const progress = setInterval(() => {
    const seconds = (performance.now() - started) / 1000;
    log.info('model bundle download progress', {
      bundle: location.uri,
      downloadedBytes: downloaded,
      totalBytes,
      mbPerSecond: Math.round(downloaded / 1e6 / seconds),
    });
  }, settings.progressMs);
  progress.unref();

  try {
    // Largest first: the small files then fill the pool's tail instead of one big file alone.
    for (const spec of [...files].sort((a, b) => b.bytes - a.bytes)) {
      downloads.push(await FileDownload.open(spec, settings.partBytes));
    }
    const tasks: PartTask[] = downloads.flatMap((download) =>
      download.parts.map((part, index) => ({ download, index, part })),
    );
    let next = 0;
    const runner = async (): Promise<void> => {
      while (!abort.signal.aborted) {
        const task = tasks[next++];
        if (task === undefined) return;
        const { download, index, part } = task;
        try {
          await fetchRange(
            {
              s3,
              bucket: location.bucket,
              key: `${location.prefix}${download.spec.path}`,
              bundle: location.uri,
              file: download.spec.path,
              start: part.start,
              end: part.end,
              objectBytes: download.spec.bytes,
              idleMs: settings.idleMs,
              attempts: settings.attempts,
              retryDelayMs: settings.retryDelayMs,
              signal: abort.signal,
            },
            async (chunk, position) => {
              await download.write(chunk, position);
              downloaded += chunk.byteLength;
            },
          );
        } catch (error) {
          fail(error);
          return;
        }
        download.partLanded(index);
        if (download.fetched) finishing.push(download.finish(location.uri).catch(fail));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, settings.concurrency) }, runner));
    await Promise.all(finishing);
    if (failure === undefined && options.signal?.aborted === true) {
      fail(
        new CanceledError(`The download of ${location.uri} was canceled (the worker is stopping)`),
      );
    }
  } catch (error) {
    fail(error);
  } finally {
    clearInterval(progress);
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) {
    // finish() renamed the verified files already; only unfinished temporary files remain.
    await Promise.allSettled(downloads.map((download) => download.discard()));
    throw failure.error;
  }
  return downloaded;
}
