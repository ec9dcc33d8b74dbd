import { NotFoundError, RequestError, ValidationError } from '#core/errors.ts';
import { uploadKey } from '#core/jobs/storage-keys.ts';
import type { ApiContext } from '../api/api-context.ts';
import { uploadOwnedBy } from '../api/auth/upload-owner.ts';
import type { ImageSource } from '../api/parse-edit-request.ts';
import { parseUploadId } from '../api/upload-id.ts';

/**
 * The bytes of a submission's image: inline as given, an upload read from the blob store after
 * checking that it exists and is still usable, a URL downloaded by the injected fetcher. Reads
 * only: nothing is written.
 * @throws RequestError `UPLOAD_NOT_FOUND` (404), `UPLOAD_EXPIRED` (410), `IMAGE_FETCH_FAILED`;
 *   ValidationError `INVALID_ARGUMENT`, `IMAGE_TOO_LARGE`, `UNSUPPORTED_IMAGE_FORMAT`.
 */
export async function resolveImageBytes(
  ctx: ApiContext,
  source: ImageSource,
  /** The submitting key: an upload id of another key is answered like one never created. */
  owner?: string,
): Promise<Uint8Array> {
  const maxBytes = ctx.config.limits.maxImageBytes;
  switch (source.kind) {
    case 'inline':
      return source.bytes;
    case 'url':
      return (await ctx.fetchImage(source.url, { maxBytes })).bytes;
    case 'upload':
      return readUpload(ctx, source.uploadId, maxBytes, owner);
  }
}

async function readUpload(
  ctx: ApiContext,
  uploadId: string,
  maxBytes: number,
  owner: string | undefined,
): Promise<Uint8Array> {
  const putExpiresAt = parseUploadId(uploadId);
  if (owner !== undefined && !uploadOwnedBy(uploadId, owner)) {
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
      `Expected an upload id used before ${new Date(usableUntil).toISOString()} but upload ${uploadId} expired then; create a new one with POST /v1/uploads`,
      { details: { uploadId, usableUntil: new Date(usableUntil).toISOString() } },
    );
  }
  const key = uploadKey(uploadId);
  const info = await ctx.dependency('blob store head', () => ctx.blobs.head(key));
  if (info === undefined) {
    if (now >= putExpiresAt.getTime()) {
      throw new RequestError(
        'UPLOAD_EXPIRED',
        `Expected an image uploaded to the URL of upload ${uploadId} but its URL expired at ${putExpiresAt.toISOString()} with nothing uploaded; create a new one with POST /v1/uploads`,
        { details: { uploadId, expiresAt: putExpiresAt.toISOString() } },
      );
    }
    throw new RequestError(
      'UPLOAD_NOT_FOUND',
      `Expected an image uploaded for upload ${uploadId} but nothing has been uploaded yet; PUT the image to its URL (valid until ${putExpiresAt.toISOString()}) before submitting`,
      { details: { uploadId, expiresAt: putExpiresAt.toISOString() } },
    );
  }
  // An S3 presigned PUT does not cap the size (docs/ports.md), so the size is checked here.
  if (info.size > maxBytes) {
    throw new ValidationError(
      'IMAGE_TOO_LARGE',
      `Expected an uploaded image of at most ${maxBytes} bytes but upload ${uploadId} holds ${info.size}`,
      { details: { uploadId, bytes: info.size, maxBytes } },
    );
  }
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
      `Expected the image of upload ${uploadId} to be stored but it was removed while being read`,
      { details: { uploadId } },
    );
  }
  return blob.body;
}
