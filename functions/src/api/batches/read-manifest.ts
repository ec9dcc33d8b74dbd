import { NotFoundError, RequestError, ValidationError } from '#core/errors.ts';
import { uploadKey } from '#core/jobs/storage-keys.ts';
import type { ApiContext } from '../api-context.ts';
import { uploadOwnedBy } from '../auth/upload-owner.ts';
import { parseUploadId } from '../upload-id.ts';
import type { BatchLimits } from './batch-context.ts';
import type { RawItem } from './parse-batch-items.ts';

/**
 * Reads a manifest uploaded through `POST /v1/uploads` by `owner` (the same expiry and ownership
 * rules as an image upload: another key's upload id is answered like one never created).
 * @throws ValidationError `INVALID_ARGUMENT` for an id that is no upload id; RequestError
 *   `UPLOAD_NOT_FOUND` (404), `UPLOAD_EXPIRED` (410), `PAYLOAD_TOO_LARGE` (413) over the limit.
 */
export async function readManifest(
  ctx: ApiContext,
  uploadId: string,
  owner: string,
  limits: Pick<BatchLimits, 'maxManifestBytes'>,
): Promise<Uint8Array> {
  let putExpiresAt: Date;
  try {
    putExpiresAt = parseUploadId(uploadId);
  } catch (error) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "manifest.uploadId" to be an id returned by POST /v1/uploads (upl_<expiry>_<hex>) but received ${JSON.stringify(uploadId.slice(0, 70))}`,
      { cause: error, details: { field: 'manifest.uploadId' } },
    );
  }
  if (!uploadOwnedBy(uploadId, owner)) {
    throw new RequestError(
      'UPLOAD_NOT_FOUND',
      `Expected an upload id created with this API key (POST /v1/uploads) but upload ${uploadId} was not`,
      { details: { uploadId } },
    );
  }
  const now = ctx.clock.now();
  const usableUntil = putExpiresAt.getTime() + ctx.config.uploadRetentionSeconds * 1000;
  if (now >= usableUntil) {
    throw new RequestError(
      'UPLOAD_EXPIRED',
      `Expected a manifest upload used before ${new Date(usableUntil).toISOString()} but upload ${uploadId} expired then; upload it again with POST /v1/uploads`,
      { details: { uploadId, usableUntil: new Date(usableUntil).toISOString() } },
    );
  }
  const key = uploadKey(uploadId);
  const info = await ctx.dependency('blob store head', () => ctx.blobs.head(key));
  if (info === undefined) {
    throw new RequestError(
      now >= putExpiresAt.getTime() ? 'UPLOAD_EXPIRED' : 'UPLOAD_NOT_FOUND',
      `Expected a manifest uploaded for upload ${uploadId} but nothing is stored there; PUT the JSONL file to its URL (valid until ${putExpiresAt.toISOString()}) before creating the batch`,
      { details: { uploadId, expiresAt: putExpiresAt.toISOString() } },
    );
  }
  checkSize(uploadId, info.size, limits.maxManifestBytes);
  const blob = await ctx.dependency('blob store get', async () => {
    try {
      return await ctx.blobs.get(key);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  });
  if (blob === undefined) {
    throw new RequestError(
      'UPLOAD_NOT_FOUND',
      `Expected the manifest of upload ${uploadId} to be stored but it was removed while being read`,
      { details: { uploadId } },
    );
  }
  // The object may have been replaced between head and get.
  checkSize(uploadId, blob.body.byteLength, limits.maxManifestBytes);
  return blob.body;
}

function checkSize(uploadId: string, bytes: number, maxBytes: number): void {
  if (bytes > maxBytes) {
    throw new RequestError(
      'PAYLOAD_TOO_LARGE',
      `Expected a manifest of at most ${maxBytes} bytes but upload ${uploadId} holds ${bytes}; split it into several batches`,
      { details: { uploadId, bytes, maxBytes } },
    );
  }
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BOM = [0xef, 0xbb, 0xbf];

/**
 * Splits a JSONL manifest into items, one per non-blank line, numbered by their line (from 1; a
 * `\r\n` ending and a leading byte order mark are accepted). A line over `maxLineBytes`, not UTF-8
 * or not JSON becomes a refused item with its line; the others are left for the item checks.
 * @throws RequestError `PAYLOAD_TOO_LARGE` (413) when there are more than `maxManifestItems`
 *   non-blank lines; ValidationError `INVALID_ARGUMENT` when there are none.
 */
export function splitManifest(
  bytes: Uint8Array,
  limits: Pick<BatchLimits, 'maxLineBytes' | 'maxManifestItems'>,
): RawItem[] {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = BOM.every((byte, i) => bytes[i] === byte) ? BOM.length : 0;
  const items: RawItem[] = [];
  for (let line = 1; start <= bytes.length; line++) {
    const newline = bytes.indexOf(NEWLINE, start);
    const end = newline === -1 ? bytes.length : newline;
    const stop = end > start && bytes[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
    const segment = bytes.subarray(start, stop);
    start = end + 1;
    if (isBlank(segment)) continue;
    if (items.length === limits.maxManifestItems) {
      throw new RequestError(
        'PAYLOAD_TOO_LARGE',
        `Expected a manifest of at most ${limits.maxManifestItems} edits (non-blank lines) but it has more (line ${line} is edit ${limits.maxManifestItems + 1}); split it into several batches`,
        { details: { maxItems: limits.maxManifestItems, line } },
      );
    }
    items.push(readLine(line, segment, decoder, limits.maxLineBytes));
  }
  if (items.length === 0) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      'Expected a manifest with one JSON edit per line but it has no non-blank line',
      { details: { field: 'manifest' } },
    );
  }
  return items;
}

function readLine(
  line: number,
  segment: Uint8Array,
  decoder: { decode(input: Uint8Array): string },
  maxLineBytes: number,
): RawItem {
  if (segment.byteLength > maxLineBytes) {
    return {
      line,
      error: {
        code: 'PAYLOAD_TOO_LARGE',
        message: `Expected a manifest line of at most ${maxLineBytes} bytes but line ${line} has ${segment.byteLength}; reference large images by "uploadId" or "url"`,
      },
    };
  }
  let text: string;
  try {
    text = decoder.decode(segment);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      line,
      error: {
        code: 'INVALID_ARGUMENT',
        message: `Expected line ${line} to be UTF-8 text but it is not (${detail})`,
      },
    };
  }
  try {
    return { line, value: JSON.parse(text) as unknown };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      line,
      error: {
        code: 'INVALID_ARGUMENT',
        message: `Expected line ${line} to be one JSON object but it does not parse: ${detail}`,
      },
    };
  }
}

function isBlank(segment: Uint8Array): boolean {
  return segment.every((byte) => byte === 0x20 || byte === 0x09 || byte === CARRIAGE_RETURN);
}
