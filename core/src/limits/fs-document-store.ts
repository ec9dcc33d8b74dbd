import { createHash } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DependencyError } from '../errors.ts';
import {
  isMissingFileError,
  readFileIfExists,
  TEMP_SUFFIX,
  writeFileAtomic,
} from '../local/atomic-file.ts';
import { withFileLock } from '../local/file-lock.ts';
import { KeyedMutex } from '../local/keyed-mutex.ts';
import {
  checkDocumentKey,
  checkDocumentPrefix,
  type DocumentStore,
  documentConflict,
  type PutDocumentOptions,
  type StoredDocument,
} from './document-store.ts';

export interface FsDocumentStoreOptions {
  /** The folder; a document `a/b.json` is the file `<root>/a/b.json` (the S3 key layout). */
  readonly root: string;
  /** How long a write waits for another process's lock before a DependencyError (default 5 s). */
  readonly lockTimeoutMs?: number;
}

/** Shared by every instance in the process, so two stores on one folder still serialize. */
const mutex = new KeyedMutex();

/**
 * Documents as JSON files. Writes are atomic (temp file + rename); a write serializes with other
 * writers of the same document in memory and, across processes, through `<file>.lock`, so the
 * version check and the write happen as one step. The version is the SHA-256 of the bytes (like an
 * S3 ETag, it names the content: writing the same bytes again keeps the version).
 */
export class FsDocumentStore implements DocumentStore {
  readonly #root: string;
  readonly #lockTimeoutMs: number;

  constructor(options: FsDocumentStoreOptions) {
    this.#root = resolve(options.root);
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
  }

  async get(key: string): Promise<StoredDocument | undefined> {
    const path = this.#pathOf(key);
    const bytes = await readFileIfExists(path);
    return bytes === undefined ? undefined : parse(bytes, path);
  }

  async put(key: string, value: unknown, options: PutDocumentOptions = {}): Promise<string> {
    const path = this.#pathOf(key);
    const text = `${JSON.stringify(value)}\n`;
    await mkdir(dirname(path), { recursive: true });
    return mutex.run(path, () =>
      withFileLock(
        `${path}.lock`,
        async () => {
          const expected = options.expectedVersion;
          if (expected !== undefined) {
            const bytes = await readFileIfExists(path);
            const current = bytes === undefined ? null : versionOf(bytes);
            if (current !== expected) throw documentConflict(key, expected);
          }
          await writeFileAtomic(path, text);
          return versionOf(Buffer.from(text));
        },
        { timeoutMs: this.#lockTimeoutMs },
      ),
    );
  }

  async delete(key: string): Promise<void> {
    await rm(this.#pathOf(key), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    checkDocumentPrefix(prefix);
    const keys: string[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isMissingFileError(error)) return;
        throw error;
      }
      for (const entry of entries) {
        const { name } = entry;
        // Temporary files, lock files and stale locks are not documents.
        if (name.startsWith('.') || name.endsWith(TEMP_SUFFIX) || /\.lock(\.|$)/.test(name)) {
          continue;
        }
        if (entry.isDirectory()) await walk(join(dir, name), `${keyPrefix}${name}/`);
        else keys.push(`${keyPrefix}${name}`);
      }
    };
    await walk(prefix === '' ? this.#root : join(this.#root, prefix), prefix);
    return keys.sort();
  }

  #pathOf(key: string): string {
    // checkDocumentKey refuses `..` and absolute paths, so the path stays under the root.
    return join(this.#root, checkDocumentKey(key));
  }
}

function versionOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

function parse(bytes: Buffer, path: string): StoredDocument {
  try {
    return { value: JSON.parse(bytes.toString('utf8')), version: versionOf(bytes) };
  } catch (error) {
    throw new DependencyError(`Expected JSON in the document ${path} but it does not parse`, {
      cause: error,
    });
  }
}
