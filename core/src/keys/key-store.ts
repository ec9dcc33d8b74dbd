import { ConflictError, DependencyError, NotFoundError, ValidationError } from '../errors.ts';
import type { DocumentStore } from '../limits/document-store.ts';
import { formatIssues, listZodIssues } from '../zod-issues.ts';
import { type ApiKeyRecord, apiKeyRecordSchema, KEY_ID_PATTERN } from './api-key.ts';

/**
 * API keys by id. A caller's token names its key id, so authentication is one `get` and a
 * constant-time comparison of the secret's hash (api-key.ts); no lookup by secret is needed.
 */
export interface KeyStore {
  /**
   * Stores a new key.
   * @throws ValidationError for a record that does not match the schema.
   * @throws ConflictError when a key with the same id exists.
   */
  create(record: ApiKeyRecord): Promise<ApiKeyRecord>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /**
   * Marks a key revoked at `at`. Idempotent: a key revoked before keeps its first `revokedAt`.
   * @throws NotFoundError for an unknown id.
   */
  revoke(id: string, at: Date): Promise<ApiKeyRecord>;
  /** Every key, revoked ones included, oldest first. */
  list(): Promise<ApiKeyRecord[]>;
}

const PREFIX = 'keys/';

/**
 * The KeyStore over a DocumentStore: `keys/<id>.json`, the same layout in S3 (the service bucket)
 * and locally (`<data>/access/keys/`). Create is create-only and revoke a compare-and-set, so two
 * admins racing cannot overwrite each other.
 */
export class DocumentKeyStore implements KeyStore {
  readonly #docs: DocumentStore;

  constructor(docs: DocumentStore) {
    this.#docs = docs;
  }

  async create(record: ApiKeyRecord): Promise<ApiKeyRecord> {
    const parsed = apiKeyRecordSchema.safeParse(record);
    if (!parsed.success) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected a valid API key record but: ${formatIssues(listZodIssues(parsed.error))}`,
        { cause: parsed.error },
      );
    }
    try {
      await this.#docs.put(keyOf(record.id), parsed.data, { expectedVersion: null });
    } catch (error) {
      if (error instanceof ConflictError) {
        throw new ConflictError(`Expected a new key id but key ${record.id} already exists`, {
          cause: error,
          details: { keyId: record.id },
        });
      }
      throw error;
    }
    return parsed.data;
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    if (!KEY_ID_PATTERN.test(id)) return undefined;
    const doc = await this.#docs.get(keyOf(id));
    return doc === undefined ? undefined : parseRecord(doc.value, keyOf(id));
  }

  async revoke(id: string, at: Date): Promise<ApiKeyRecord> {
    for (let attempt = 1; ; attempt++) {
      const doc = KEY_ID_PATTERN.test(id) ? await this.#docs.get(keyOf(id)) : undefined;
      if (doc === undefined) {
        throw new NotFoundError(`Expected the id of an existing API key but no key ${id} exists`, {
          details: { keyId: id },
        });
      }
      const record = parseRecord(doc.value, keyOf(id));
      if (record.revokedAt !== null) return record;
      const next: ApiKeyRecord = { ...record, revokedAt: at.toISOString() };
      try {
        await this.#docs.put(keyOf(id), next, { expectedVersion: doc.version });
        return next;
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= 5) throw error;
      }
    }
  }

  async list(): Promise<ApiKeyRecord[]> {
    const keys = await this.#docs.list(PREFIX);
    const records: ApiKeyRecord[] = [];
    for (const key of keys) {
      if (!key.endsWith('.json')) continue;
      const doc = await this.#docs.get(key);
      if (doc !== undefined) records.push(parseRecord(doc.value, key));
    }
    return records.sort(
      (a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id),
    );
  }
}

function keyOf(id: string): string {
  return `${PREFIX}${id}.json`;
}

function parseRecord(value: unknown, key: string): ApiKeyRecord {
  const result = apiKeyRecordSchema.safeParse(value);
  if (!result.success) {
    // Possibly written by a newer version during a rolling deploy: retryable.
    throw new DependencyError(
      `Expected a valid API key record in ${key} but: ${formatIssues(listZodIssues(result.error))}`,
      { cause: result.error },
    );
  }
  return result.data;
}
