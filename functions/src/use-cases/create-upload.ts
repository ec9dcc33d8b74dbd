import { z } from 'zod';
import { describeValue } from '#core/errors.ts';
import { uploadKey } from '#core/jobs/storage-keys.ts';
import type { ApiContext } from '../api/api-context.ts';
import { ownedUploadToken } from '../api/auth/upload-owner.ts';
import { parseWithSchema } from '../api/edit-request-schema.ts';
import { makeUploadId } from '../api/upload-id.ts';

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

/** The optional JSON body of `POST /v1/uploads`. */
export function uploadRequestSchema(maxBytes: number) {
  return z.strictObject(
    {
      contentType: z
        .enum(IMAGE_TYPES, {
          error: (issue) =>
            `Expected "contentType" to be one of ${IMAGE_TYPES.join(', ')} but received ${describeValue(issue.input)}`,
        })
        .optional(),
      contentLength: z
        .int({
          error: (issue) =>
            `Expected "contentLength" to be an integer from 1 to ${maxBytes} but received ${describeValue(issue.input)}`,
        })
        .min(1, {
          error: (issue) =>
            `Expected "contentLength" to be an integer from 1 to ${maxBytes} but received ${describeValue(issue.input)}`,
        })
        .max(maxBytes, {
          error: (issue) =>
            `Expected "contentLength" to be at most ${maxBytes} bytes (the upload limit) but received ${describeValue(issue.input)}`,
        })
        .optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `Expected only the fields "contentType", "contentLength" but received unknown ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`
          : `Expected the request body to be a JSON object (or empty) but received ${describeValue(issue.input)}`,
    },
  );
}

export interface UploadTicket {
  readonly uploadId: string;
  readonly url: string;
  readonly method: 'PUT';
  /** Headers the PUT must carry. */
  readonly headers: Readonly<Record<string, string>>;
  /** The PUT URL's expiry. */
  readonly expiresAt: string;
  /** Until when a submission may reference the upload. */
  readonly usableUntil: string;
  readonly maxBytes: number;
}

/**
 * `POST /v1/uploads`: a presigned PUT to `uploads/<uploadId>`. Nothing is written; the id itself
 * carries its expiry (upload-id.ts). The body may bind the exact size (`contentLength`, enforced by
 * S3's signature) and the content type.
 */
export async function createUpload(
  ctx: ApiContext,
  body: unknown,
  /** The key the upload belongs to: only it can submit the upload id (auth/upload-owner.ts). */
  owner: string = ctx.config.owner,
): Promise<UploadTicket> {
  const maxBytes = ctx.config.limits.maxImageBytes;
  const request = parseWithSchema(uploadRequestSchema(maxBytes), body);
  const ttl = ctx.config.signedUrlTtlSeconds;
  const expiresAt = new Date((Math.floor(ctx.clock.now() / 1000) + ttl) * 1000);
  const uploadId = makeUploadId(expiresAt, ownedUploadToken(ctx.ids.uploadToken(), owner));
  const signed = await ctx.dependency('blob store sign upload', () =>
    ctx.blobs.signedUploadUrl(uploadKey(uploadId), {
      expiresInSeconds: ttl,
      maxBytes,
      ...(request.contentLength === undefined ? {} : { contentLength: request.contentLength }),
      ...(request.contentType === undefined ? {} : { contentType: request.contentType }),
    }),
  );
  return {
    uploadId,
    url: signed.url,
    method: 'PUT',
    headers: signed.headers,
    expiresAt: signed.expiresAt.toISOString(),
    usableUntil: new Date(
      expiresAt.getTime() + ctx.config.uploadRetentionSeconds * 1000,
    ).toISOString(),
    maxBytes: request.contentLength ?? maxBytes,
  };
}
