import { ConflictError, ValidationError } from '../errors.ts';

/**
 * Small JSON documents with compare-and-set writes: the storage under API keys, idempotency
 * records, daily quotas, per-key concurrency and lane tickets. S3 objects in AWS (ETags and
 * conditional PUTs), files locally (a lock per document), a Map in tests. Every adapter passes
 * describeDocumentStoreContract (document-store-contract.ts).
 */
export interface StoredDocument {
  readonly value: unknown;
  /** Opaque; changes on every write (S3: the ETag; local: a hash of the bytes and a counter). */
  readonly version: string;
}

export interface PutDocumentOptions {
  /**
   * `null`: only create (the document must not exist); a version: only replace that version;
   * absent: write whatever is there.
   * @throws ConflictError when the condition does not hold.
   */
  readonly expectedVersion?: string | null;
}

export interface DocumentStore {
  get(key: string): Promise<StoredDocument | undefined>;
  /** @returns the new version. */
  put(key: string, value: unknown, options?: PutDocumentOptions): Promise<string>;
  /** Idempotent: deleting a missing document succeeds. */
  delete(key: string): Promise<void>;
  /** Every key under `prefix` (which ends with `/`), sorted. */
  list(prefix: string): Promise<string[]>;
}

/** Segments of letters, digits, `.`, `_`, `-`, separated by `/`; no `.` or `..` segment. */
const DOCUMENT_KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}(\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,199})*$/;

/** @throws ValidationError for a key that could leave its folder or is not a plain path. */
export function checkDocumentKey(key: string): string {
  if (!DOCUMENT_KEY.test(key) || key.length > 900 || key.split('/').some((s) => s === '..')) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a document key of "/"-separated segments of letters, digits, ".", "_" or "-" but received ${JSON.stringify(key.slice(0, 80))}`,
    );
  }
  return key;
}

/** @throws ValidationError for a list prefix that is not empty or a key followed by `/`. */
export function checkDocumentPrefix(prefix: string): string {
  if (prefix !== '' && (!prefix.endsWith('/') || !DOCUMENT_KEY.test(prefix.slice(0, -1)))) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a document prefix ending with "/" but received ${JSON.stringify(prefix.slice(0, 80))}`,
    );
  }
  return prefix;
}

/** The ConflictError every adapter throws when a conditional put loses. */
export function documentConflict(key: string, expected: string | null, cause?: unknown) {
  return new ConflictError(
    expected === null
      ? `Expected to create document ${key} but it exists`
      : `Expected document ${key} at version ${expected} but another writer changed it first`,
    { ...(cause === undefined ? {} : { cause }), details: { key } },
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Read-modify-write of one document: `mutate` sees the current value (undefined when absent) and
 * returns the next value, or `undefined` to write nothing. A lost race re-reads and runs `mutate`
 * again, so `mutate` must be pure. Resolves with what `mutate` returned last.
 * @throws ConflictError when still losing after `maxAttempts`.
 */
export async function updateDocument<T>(
  store: DocumentStore,
  key: string,
  mutate: (current: unknown) => T | undefined,
  maxAttempts = 8,
): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await store.get(key);
    const next = mutate(current?.value);
    if (next === undefined) return undefined;
    try {
      await store.put(key, next, { expectedVersion: current?.version ?? null });
      return next;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= maxAttempts) throw error;
      // Jitter so that racing writers do not collide again in lockstep.
      await sleep(Math.random() * 10 * attempt);
    }
  }
}
