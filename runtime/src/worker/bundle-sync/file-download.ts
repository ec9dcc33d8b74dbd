import { createHash, randomUUID } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { bundleError, jsonPath } from '#runtime/bundle/bundle-failure.ts';
import { hasCode } from './fs-errors.ts';
import { SYNC_FILES } from './sync-marker.ts';

/** A bundle file to download. */
export interface FileSpec {
  /** Path inside the bundle, as the manifest lists it. */
  readonly path: string;
  /** Absolute path of the file in the cache's version folder. */
  readonly target: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** A byte range `[start, end)` of the file. */
export interface FilePart {
  readonly start: number;
  readonly end: number;
}

/** Read size when hashing the landed parts back from the page cache. */
const HASH_READ_BYTES = 4 * 1024 * 1024;

/**
 * One file being downloaded in ranged parts that may arrive in any order. Parts are written at
 * their offsets into a temporary file beside the target; as soon as the parts before it have
 * landed, each part is read back (from the page cache) into the file's sha256, so the hash runs
 * while later parts are still downloading instead of over the whole file at the end. `finish()`
 * compares the digest with the manifest and renames the file into place only when it matches.
 */
export class FileDownload {
  readonly spec: FileSpec;
  readonly parts: readonly FilePart[];
  readonly #handle: FileHandle;
  readonly #temp: string;
  readonly #landed: boolean[];
  readonly #hash = createHash('sha256');
  #hashed = 0;
  #fetched = 0;
  /** The hash work queued so far; never rejects (a failure is kept in #hashError). */
  #hashing: Promise<void> = Promise.resolve();
  #hashError: { readonly error: unknown } | undefined;
  #closed = false;

  private constructor(spec: FileSpec, partBytes: number, handle: FileHandle, temp: string) {
    this.spec = spec;
    this.#handle = handle;
    this.#temp = temp;
    const parts: FilePart[] = [];
    for (let start = 0; start < spec.bytes; start += partBytes) {
      parts.push({ start, end: Math.min(spec.bytes, start + partBytes) });
    }
    // An empty file is one empty part: its GET still proves the object exists.
    this.parts = parts.length === 0 ? [{ start: 0, end: 0 }] : parts;
    this.#landed = this.parts.map(() => false);
  }

  /** Creates the temporary file (sized to the final length) beside the target. */
  static async open(spec: FileSpec, partBytes: number): Promise<FileDownload> {
    await mkdir(dirname(spec.target), { recursive: true });
    const temp = `${spec.target}.${randomUUID()}${SYNC_FILES.partial}`;
    const handle = await open(temp, 'w+');
    try {
      await handle.truncate(spec.bytes);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new FileDownload(spec, partBytes, handle, temp);
  }

  /** True once every part has been fetched (its hash may still be catching up). */
  get fetched(): boolean {
    return this.#fetched === this.parts.length;
  }

  /** Writes bytes of a part at their offset. */
  async write(chunk: Buffer, position: number): Promise<void> {
    let written = 0;
    while (written < chunk.byteLength) {
      const { bytesWritten } = await this.#handle.write(
        chunk,
        written,
        chunk.byteLength - written,
        position + written,
      );
      written += bytesWritten;
    }
  }

  /** Records that part `index` has been written completely; hashes every part now in order. */
  partLanded(index: number): void {
    this.#landed[index] = true;
    this.#fetched += 1;
    this.#hashing = this.#hashing
      .then(() => (this.#hashError === undefined ? this.#hashLanded() : undefined))
      .catch((error: unknown) => {
        this.#hashError ??= { error };
      });
  }

  /**
   * Waits for the hash, checks it, flushes the file and renames it into place.
   * @throws BundleError BUNDLE_INVALID naming the file when the sha256 differs from the manifest.
   */
  async finish(bundle: string): Promise<void> {
    await this.#hashing;
    if (this.#hashError !== undefined) throw this.#hashError.error;
    const actual = this.#hash.digest('hex');
    if (actual !== this.spec.sha256) {
      await this.discard();
      throw bundleError('BUNDLE_INVALID', {
        bundle,
        file: this.spec.path,
        field: `${jsonPath(['files', this.spec.path])}.sha256`,
        expected: `sha256 ${this.spec.sha256}`,
        found: `sha256 ${actual} in the downloaded file (the uploaded file and the manifest disagree; upload the bundle again, manifest.json last)`,
      });
    }
    // Flushed before the rename, so a host crash cannot leave a complete-looking torn file.
    await this.#handle.datasync();
    await this.#close();
    await rename(this.#temp, this.spec.target);
  }

  /** Closes and deletes the temporary file (after a failure or a cancel). */
  async discard(): Promise<void> {
    await this.#hashing;
    await this.#close();
    await unlink(this.#temp).catch((error: unknown) => {
      if (!hasCode(error, 'ENOENT')) throw error;
    });
  }

  async #hashLanded(): Promise<void> {
    const buffer = Buffer.allocUnsafe(HASH_READ_BYTES);
    while (this.#hashed < this.parts.length && this.#landed[this.#hashed] === true) {
      const part = this.parts[this.#hashed] as FilePart;
      for (let at = part.start; at < part.end; ) {
        const length = Math.min(HASH_READ_BYTES, part.end - at);
        const { bytesRead } = await this.#handle.read(buffer, 0, length, at);
        if (bytesRead === 0) throw new Error(`Expected ${length} bytes at ${at} of ${this.#temp}`);
        this.#hash.update(buffer.subarray(0, bytesRead));
        at += bytesRead;
      }
      this.#hashed += 1;
    }
  }

  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close();
  }
}
