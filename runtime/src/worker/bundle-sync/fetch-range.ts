import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { dependencyError, hasAwsErrorName, httpStatusOf } from '#core/aws/aws-errors.ts';
import { AppError, CanceledError } from '#core/errors.ts';
import { bundleError, jsonPath } from '#runtime/bundle/bundle-failure.ts';

/** One byte range of one bundle file in S3. */
export interface RangeRequest {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly key: string;
  /** The bundle URI and the file's bundle path, for error messages. */
  readonly bundle: string;
  readonly file: string;
  /** First byte (inclusive) and end (exclusive); an empty range fetches the whole, empty object. */
  readonly start: number;
  readonly end: number;
  /** The object's size according to the manifest; S3 must hold exactly this many bytes. */
  readonly objectBytes: number;
  /** Abort a response that sends nothing for this long, then retry (a stalled connection). */
  readonly idleMs: number;
  /** Tries per range, transport failures included. */
  readonly attempts: number;
  /** Delay before the second try; doubled for each further one. */
  readonly retryDelayMs: number;
  readonly signal: AbortSignal;
}

/** Receives the bytes of a range in order, with their offset in the file. */
export type RangeSink = (chunk: Buffer, position: number) => Promise<void>;

/** Chunks from the socket are small (16-64 KiB); coalescing them saves write calls. */
const WRITE_BYTES = 1024 * 1024;

/**
 * Streams `[start, end)` of an S3 object into `sink`, retrying a failed or stalled transfer from
 * the start of the range (the sink writes at offsets, so a retry overwrites what it wrote). The
 * SDK retries failed requests itself; this also covers a connection that breaks mid-body.
 * @throws BundleError when the object is missing (BUNDLE_MISSING) or its size differs from the
 *   manifest (BUNDLE_INVALID); CanceledError when `signal` aborts; DependencyError when S3 keeps
 *   failing or refuses access.
 */
export async function fetchRange(request: RangeRequest, sink: RangeSink): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await fetchOnce(request, sink);
      return;
    } catch (error) {
      if (request.signal.aborted) throw canceled(request, error);
      if (error instanceof AppError || attempt >= request.attempts || isDenied(error)) {
        throw error instanceof AppError
          ? error
          : dependencyError('S3 GetObject', error, {
              bucket: request.bucket,
              key: request.key,
              range: `${request.start}-${request.end}`,
              attempts: attempt,
            });
      }
      await sleep(request.retryDelayMs * 2 ** (attempt - 1), request.signal).catch((e: unknown) => {
        throw canceled(request, e);
      });
    }
  }
}

async function fetchOnce(request: RangeRequest, sink: RangeSink): Promise<void> {
  const { s3, bucket, key, start, end, signal } = request;
  const transfer = new AbortController();
  const stop = (): void => transfer.abort(signal.reason);
  signal.addEventListener('abort', stop, { once: true });
  let idle: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(idle);
    idle = setTimeout(
      () => transfer.abort(new Error(`no data from S3 for ${request.idleMs} ms`)),
      request.idleMs,
    );
  };
  try {
    arm();
    const out = await s3
      .send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(end > start ? { Range: `bytes=${start}-${end - 1}` } : {}),
        }),
        { abortSignal: transfer.signal },
      )
      .catch((error: unknown) => {
        throw missingOrSame(request, error);
      });
    const total = end > start ? totalOf(out.ContentRange) : out.ContentLength;
    if (total !== request.objectBytes) {
      throw bundleError('BUNDLE_INVALID', {
        bundle: request.bundle,
        file: request.file,
        field: `${jsonPath(['files', request.file])}.bytes`,
        expected: `${request.objectBytes} bytes`,
        found: `an S3 object of ${total ?? 'unknown'} bytes (the manifest and the uploaded file disagree)`,
      });
    }
    const body = out.Body;
    if (!(body instanceof Readable)) {
      throw new Error('Expected a Node.js stream as the S3 object body');
    }
    transfer.signal.addEventListener('abort', () => body.destroy(abortReason(transfer.signal)), {
      once: true,
    });
    let position = start;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const chunk = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      await sink(chunk, position);
      position += chunk.byteLength;
    };
    for await (const chunk of body as AsyncIterable<Buffer>) {
      arm();
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (position + pendingBytes > end) throw new Error('S3 sent more bytes than the range');
      if (pendingBytes >= WRITE_BYTES) await flush();
    }
    await flush();
    if (position !== end) {
      throw new Error(`S3 ended the range after ${position - start} of ${end - start} bytes`);
    }
  } finally {
    clearTimeout(idle);
    signal.removeEventListener('abort', stop);
  }
}

/** The total of a `Content-Range: bytes a-b/total` header. */
function totalOf(contentRange: string | undefined): number | undefined {
  const total = /\/(\d+)$/.exec(contentRange ?? '')?.[1];
  return total === undefined ? undefined : Number(total);
}

function missingOrSame(request: RangeRequest, error: unknown): unknown {
  if (httpStatusOf(error) === 416 || hasAwsErrorName(error, 'InvalidRange')) {
    return bundleError(
      'BUNDLE_INVALID',
      {
        bundle: request.bundle,
        file: request.file,
        field: `${jsonPath(['files', request.file])}.bytes`,
        expected: `${request.objectBytes} bytes`,
        found: `a smaller S3 object (bytes ${request.start}-${request.end - 1} are past its end)`,
      },
      error,
    );
  }
  if (!hasAwsErrorName(error, 'NoSuchKey', 'NotFound') && httpStatusOf(error) !== 404) return error;
  return bundleError(
    'BUNDLE_MISSING',
    {
      bundle: request.bundle,
      file: request.file,
      field: jsonPath(['files', request.file]),
      expected: `the object s3://${request.bucket}/${request.key} that manifest.json lists`,
      found: 'nothing',
      hint: 'Upload every file of the bundle, then manifest.json last (docs/deploy.md)',
    },
    error,
  );
}

function isDenied(error: unknown): boolean {
  return httpStatusOf(error) === 403 || hasAwsErrorName(error, 'AccessDenied');
}

function canceled(request: RangeRequest, cause: unknown): CanceledError {
  return new CanceledError(
    `The download of ${request.file} from ${request.bundle} was canceled (the worker is stopping)`,
    { cause },
  );
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/** Resolves after `ms`, or rejects when `signal` aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
