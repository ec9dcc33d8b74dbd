import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkBlobKey, checkSignedUploadOptions, checkSignedUrlInteger } from '../blob/blob-key.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type {
  BlobInfo,
  BlobStore,
  SignedUpload,
  SignedUploadOptions,
  SignedUrl,
  SignedUrlOptions,
  StoredBlob,
} from '../ports.ts';
import { isErrnoException, isMissingFileError, writeFileAtomic } from './atomic-file.ts';
import { checkSigningSecret, signBlobUrl } from './signed-blob-url.ts';

export interface FsBlobStoreOptions {
  /** The folder holding the blobs: `<root>/<key>`, metadata in `<root>/.meta/<key>.json`. */
  readonly root: string;
  /** Where the local server is reachable, e.g. `http://127.0.0.1:8787`. */
  readonly baseUrl: string;
  /** HMAC key of the signed URLs (at least 16 bytes); the local server verifies with the same. */
  readonly signingSecret: string | Uint8Array;
  /** The clock of URL expiry (tests pass a fake one). Default `Date.now`. */
  readonly now?: () => number;
}

interface BlobMeta {
  readonly size: number;
  readonly contentType: string;
  readonly etag: string;
  readonly lastModified: string;
}

/**
 * Blobs as files under a root folder. Writes are atomic (temp file in `<root>/.tmp` + rename); the
 * bytes are written before their metadata, and a blob counts as present only when both exist.
 * Signed URLs point at the local server (`/local-blobs/<key>`), which checks them with
 * `verifySignedBlobUrl` and enforces the bound method, expiry and size limit.
 */
export class FsBlobStore implements BlobStore {
  readonly #root: string;
  readonly #baseUrl: string;
  readonly #secret: Uint8Array;
  readonly #now: () => number;

  constructor(options: FsBlobStoreOptions) {
    this.#root = resolve(options.root);
    this.#baseUrl = new URL(options.baseUrl).toString();
    this.#secret = checkSigningSecret(options.signingSecret);
    this.#now = options.now ?? Date.now;
  }

  /** The file that holds `key`, for the local server to stream from. */
  pathOf(key: string): string {
    return join(this.#root, checkBlobKey(key));
  }

  async put(
    key: string,
    body: Uint8Array,
    options: { readonly contentType: string },
  ): Promise<void> {
    const path = this.pathOf(key);
    const tmpDir = join(this.#root, '.tmp');
    await mkdir(tmpDir, { recursive: true });
    const meta: BlobMeta = {
      size: body.byteLength,
      contentType: options.contentType,
      etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`,
      lastModified: new Date(this.#now()).toISOString(),
    };
    try {
      await writeFileAtomic(path, body, tmpDir);
      await writeFileAtomic(this.#metaPathOf(key), JSON.stringify(meta), tmpDir);
    } catch (error) {
      if (isErrnoException(error) && (error.code === 'ENOTDIR' || error.code === 'EISDIR')) {
        throw new ConflictError(
          `Expected "${key}" to be free for a blob but it is (or lies below) another blob or prefix; the local store cannot hold both "a" and "a/b"`,
          { cause: error, details: { key } },
        );
      }
      throw error;
    }
  }

  async get(key: string): Promise<StoredBlob> {
    const info = await this.head(key);
    if (info === undefined) throw notFound(key);
    try {
      const body = new Uint8Array(await readFile(this.pathOf(key)));
      return { ...info, size: body.byteLength, body };
    } catch (error) {
      if (isMissingFileError(error)) throw notFound(key);
      throw error;
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    checkBlobKey(key);
    let meta: BlobMeta;
    try {
      meta = JSON.parse(await readFile(this.#metaPathOf(key), 'utf8')) as BlobMeta;
    } catch (error) {
      if (isMissingFileError(error) || isNotDirectory(error)) return undefined;
      throw error;
    }
    return {
      key,
      size: meta.size,
      contentType: meta.contentType,
      etag: meta.etag,
      lastModified: new Date(meta.lastModified),
    };
  }

  async delete(key: string): Promise<void> {
    // Metadata first: once it is gone the blob is absent, even if removing the bytes fails.
    await rm(this.#metaPathOf(key), { force: true });
    await rm(this.pathOf(key), { force: true });
  }

  async signedDownloadUrl(key: string, options: SignedUrlOptions): Promise<SignedUrl> {
    checkBlobKey(key);
    const expiresAt = this.#expiry(options.expiresInSeconds);
    const url = signBlobUrl(this.#baseUrl, this.#secret, { key, method: 'GET', expiresAt });
    return { url, method: 'GET', headers: {}, expiresAt };
  }

  async signedUploadUrl(key: string, options: SignedUploadOptions): Promise<SignedUpload> {
    checkBlobKey(key);
    checkSignedUploadOptions(options);
    const maxBytes = options.maxBytes;
    const expiresAt = this.#expiry(options.expiresInSeconds);
    const url = signBlobUrl(this.#baseUrl, this.#secret, {
      key,
      method: 'PUT',
      expiresAt,
      maxBytes: options.contentLength ?? maxBytes,
      ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
    });
    const headers: Record<string, string> = {};
    if (options.contentType !== undefined) headers['content-type'] = options.contentType;
    return { url, method: 'PUT', headers, expiresAt, maxBytes, enforcesMaxBytes: true };
  }

  #metaPathOf(key: string): string {
    return join(this.#root, '.meta', `${checkBlobKey(key)}.json`);
  }

  #expiry(expiresInSeconds: number): Date {
    checkSignedUrlInteger('expiresInSeconds', expiresInSeconds);
    // Whole seconds, as in the URL, so expiresAt is exactly what the server enforces.
    return new Date((Math.floor(this.#now() / 1000) + expiresInSeconds) * 1000);
  }
}

function notFound(key: string): NotFoundError {
  return new NotFoundError(`Expected a blob under "${key}" but nothing is stored there`, {
    details: { key },
  });
}

function isNotDirectory(error: unknown): boolean {
  return isErrnoException(error) && error.code === 'ENOTDIR';
}
