import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { checkBlobKey, checkSignedUploadOptions, checkSignedUrlInteger } from '../blob/blob-key.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type {
  BlobInfo,
  BlobStore,
  SignedUpload,
  SignedUploadOptions,
  SignedUrl,
  SignedUrlOptions,
  StoredBlob,
} from '../ports.ts';
import { dependencyError, hasAwsErrorName, httpStatusOf } from './aws-errors.ts';

export interface S3BlobStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /**
   * The client that presigns URLs (default: `client`). It must compute checksums only
   * WHEN_REQUIRED (createAwsClients does); otherwise presigned PUTs carry an empty CRC32.
   */
  readonly presignClient?: S3Client;
}

/**
 * Blobs in an S3 bucket. Failures of S3 become DependencyError (retryable) with the SDK error as
 * `cause`; a missing object is `undefined` from `head` and NotFoundError from `get`.
 * An S3 presigned PUT cannot cap the body size unless the exact `contentLength` is signed, so
 * `signedUploadUrl` reports `enforcesMaxBytes: false` without it (see docs/ports.md).
 */
export class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #presignClient: S3Client;
  readonly #bucket: string;
  #presignChecked: Promise<void> | undefined;

  constructor(options: S3BlobStoreOptions) {
    this.#client = options.client;
    this.#presignClient = options.presignClient ?? options.client;
    this.#bucket = options.bucket;
  }

  async put(
    key: string,
    body: Uint8Array,
    options: { readonly contentType: string },
  ): Promise<void> {
    checkBlobKey(key);
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: body,
          ContentType: options.contentType,
        }),
      );
    } catch (error) {
      throw dependencyError('S3 PutObject', error, { bucket: this.#bucket, key });
    }
  }

  async get(key: string): Promise<StoredBlob> {
    checkBlobKey(key);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      const body =
        out.Body === undefined ? new Uint8Array() : await out.Body.transformToByteArray();
      return {
        key,
        size: body.byteLength,
        contentType: out.ContentType ?? 'application/octet-stream',
        etag: out.ETag ?? '',
        lastModified: out.LastModified ?? new Date(0),
        body,
      };
    } catch (error) {
      if (isMissing(error)) {
        throw new NotFoundError(`Expected a blob under "${key}" but nothing is stored there`, {
          details: { key },
        });
      }
      throw dependencyError('S3 GetObject', error, { bucket: this.#bucket, key });
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    checkBlobKey(key);
    try {
      const out = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: key }),
      );
      return {
        key,
        size: out.ContentLength ?? 0,
        contentType: out.ContentType ?? 'application/octet-stream',
        etag: out.ETag ?? '',
        lastModified: out.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw dependencyError('S3 HeadObject', error, { bucket: this.#bucket, key });
    }
  }

  async delete(key: string): Promise<void> {
    checkBlobKey(key);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      throw dependencyError('S3 DeleteObject', error, { bucket: this.#bucket, key });
    }
  }

  async signedDownloadUrl(key: string, options: SignedUrlOptions): Promise<SignedUrl> {
    checkBlobKey(key);
    const expiresIn = checkSignedUrlInteger('expiresInSeconds', options.expiresInSeconds);
    await this.#checkPresignClient();
    const expiresAt = new Date(Date.now() + expiresIn * 1000);
    const url = await getSignedUrl(
      this.#presignClient,
      new GetObjectCommand({ Bucket: this.#bucket, Key: key }),
      { expiresIn },
    );
    return { url, method: 'GET', headers: {}, expiresAt };
  }

  async signedUploadUrl(key: string, options: SignedUploadOptions): Promise<SignedUpload> {
    checkBlobKey(key);
    checkSignedUploadOptions(options);
    await this.#checkPresignClient();
    const expiresIn = options.expiresInSeconds;
    const expiresAt = new Date(Date.now() + expiresIn * 1000);
    const url = await getSignedUrl(
      this.#presignClient,
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
        ...(options.contentLength === undefined ? {} : { ContentLength: options.contentLength }),
      }),
      { expiresIn },
    );
    // The presigner never signs Content-Type; S3 stores what the uploader sends, so the caller
    // must send it and the API must still sniff the bytes before using them.
    const headers: Record<string, string> = {};
    if (options.contentType !== undefined) headers['content-type'] = options.contentType;
    if (options.contentLength !== undefined) {
      headers['content-length'] = String(options.contentLength);
    }
    return {
      url,
      method: 'PUT',
      headers,
      expiresAt,
      maxBytes: options.maxBytes,
      enforcesMaxBytes: options.contentLength !== undefined,
    };
  }

  /** Refuses, once, a presign client that would put empty checksums into PUT URLs. */
  #checkPresignClient(): Promise<void> {
    this.#presignChecked ??= (async () => {
      const setting = await this.#presignClient.config.requestChecksumCalculation();
      if (setting !== 'WHEN_REQUIRED') {
        throw new ValidationError(
          'INVALID_ARGUMENT',
          `Expected the presign S3 client to use requestChecksumCalculation "WHEN_REQUIRED" but it uses "${setting}"; build it with createAwsClients`,
        );
      }
    })();
    return this.#presignChecked;
  }
}

/** A missing object (not a missing bucket, which is a broken deployment: DependencyError). */
function isMissing(error: unknown): boolean {
  if (hasAwsErrorName(error, 'NoSuchBucket')) return false;
  return hasAwsErrorName(error, 'NoSuchKey', 'NotFound') || httpStatusOf(error) === 404;
}
