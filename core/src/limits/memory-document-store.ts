import {
  checkDocumentKey,
  checkDocumentPrefix,
  type DocumentStore,
  documentConflict,
  type PutDocumentOptions,
  type StoredDocument,
} from './document-store.ts';

/**
 * Documents in a Map: one process, nothing survives it. The API's default when a composition root
 * passes no store (tests, a server without a data folder); values are copied in and out as JSON.
 */
export class MemoryDocumentStore implements DocumentStore {
  readonly #docs = new Map<string, { text: string; version: string }>();
  #serial = 0;

  async get(key: string): Promise<StoredDocument | undefined> {
    const doc = this.#docs.get(checkDocumentKey(key));
    return doc === undefined ? undefined : { value: JSON.parse(doc.text), version: doc.version };
  }

  async put(key: string, value: unknown, options: PutDocumentOptions = {}): Promise<string> {
    checkDocumentKey(key);
    const current = this.#docs.get(key);
    const expected = options.expectedVersion;
    if (expected !== undefined && (current?.version ?? null) !== expected) {
      throw documentConflict(key, expected);
    }
    const version = `m${++this.#serial}`;
    this.#docs.set(key, { text: JSON.stringify(value), version });
    return version;
  }

  async delete(key: string): Promise<void> {
    this.#docs.delete(checkDocumentKey(key));
  }

  async list(prefix: string): Promise<string[]> {
    checkDocumentPrefix(prefix);
    return [...this.#docs.keys()].filter((key) => key.startsWith(prefix)).sort();
  }
}
