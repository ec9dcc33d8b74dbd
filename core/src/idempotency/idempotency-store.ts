import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ConflictError, DependencyError } from '../errors.ts';
import type { DocumentStore } from '../limits/document-store.ts';
import { formatIssues, listZodIssues } from '../zod-issues.ts';

/** The response a completed request gave, replayed to a retry with the same key and body. */
export const storedResponseSchema = z.strictObject({
  status: z.int().min(100).max(599),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
});
export type StoredResponse = z.infer<typeof storedResponseSchema>;

const isoTimestamp = z.iso.datetime({ offset: true });

export const idempotencyRecordSchema = z.strictObject({
  owner: z.string().min(1).max(256),
  key: z.string().min(1).max(255),
  /** SHA-256 of what makes two requests "the same" (method, path, owner, canonical body). */
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  /** Names the request holding an in-progress claim, so a late one cannot settle another's. */
  claimId: z.string().min(1),
  state: z.enum(['in-progress', 'completed']),
  createdAt: isoTimestamp,
  /** After this the record counts as absent: the key may be used again. */
  expiresAt: isoTimestamp,
  /** An in-progress claim older than this was left by a request that died; it may be taken over. */
  lockedUntil: isoTimestamp,
  response: storedResponseSchema.nullable(),
});
export type IdempotencyRecord = z.infer<typeof idempotencyRecordSchema>;

export interface ClaimRequest {
  readonly owner: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly now: Date;
  /** How long a completed response is replayed (24 h in the API). */
  readonly ttlSeconds: number;
  /** How long an in-progress claim holds the key before it counts as abandoned. */
  readonly lockSeconds: number;
}

export type ClaimResult =
  | { readonly outcome: 'claimed'; readonly claimId: string }
  | { readonly outcome: 'existing'; readonly record: IdempotencyRecord };

/**
 * Idempotency records per owner and key. `claim` is atomic: of two requests with the same owner
 * and key, one gets `claimed` and the other sees its record. The claimant then `complete`s the
 * record with its response, or `release`s it (the request failed and may be retried as new).
 */
export interface IdempotencyStore {
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Stores the response of the claim `claimId`; does nothing if the claim was taken over. */
  complete(owner: string, key: string, claimId: string, response: StoredResponse): Promise<void>;
  /** Removes the claim `claimId` if it is still in progress; does nothing otherwise. */
  release(owner: string, key: string, claimId: string): Promise<void>;
}

/**
 * The IdempotencyStore over a DocumentStore: `idempotency/<owner>/<sha256(key)>.json`. A claim is
 * a create-only put (S3: `If-None-Match: *`), or a compare-and-set over an expired or abandoned
 * record; complete and release are compare-and-set on the version read. Expired records are not
 * deleted here: a bucket lifecycle rule on `idempotency/` (or the next claim) replaces them.
 */
export class DocumentIdempotencyStore implements IdempotencyStore {
  readonly #docs: DocumentStore;
  readonly #newClaimId: () => string;

  constructor(docs: DocumentStore, options: { readonly newClaimId?: () => string } = {}) {
    this.#docs = docs;
    this.#newClaimId = options.newClaimId ?? randomUUID;
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const docKey = documentKey(request.owner, request.key);
    for (let attempt = 1; ; attempt++) {
      const doc = await this.#docs.get(docKey);
      const current = doc === undefined ? undefined : parseRecord(doc.value, docKey);
      if (current !== undefined && isLive(current, request.now)) {
        return { outcome: 'existing', record: current };
      }
      const claimId = this.#newClaimId();
      const now = request.now.getTime();
      const record: IdempotencyRecord = {
        owner: request.owner,
        key: request.key,
        fingerprint: request.fingerprint,
        claimId,
        state: 'in-progress',
        createdAt: request.now.toISOString(),
        expiresAt: new Date(now + request.ttlSeconds * 1000).toISOString(),
        lockedUntil: new Date(now + request.lockSeconds * 1000).toISOString(),
        response: null,
      };
      try {
        await this.#docs.put(docKey, record, { expectedVersion: doc?.version ?? null });
        return { outcome: 'claimed', claimId };
      } catch (error) {
        // Another request claimed it between our read and write: read again and report it.
        if (!(error instanceof ConflictError) || attempt >= 5) throw error;
      }
    }
  }

  async complete(
    owner: string,
    key: string,
    claimId: string,
    response: StoredResponse,
  ): Promise<void> {
    await this.#settle(owner, key, claimId, (record) => ({
      ...record,
      state: 'completed',
      response,
    }));
  }

  async release(owner: string, key: string, claimId: string): Promise<void> {
    await this.#settle(owner, key, claimId, undefined);
  }

  /** Applies `next` (or a delete) to the record while it is still the in-progress claim `claimId`. */
  async #settle(
    owner: string,
    key: string,
    claimId: string,
    next: ((record: IdempotencyRecord) => IdempotencyRecord) | undefined,
  ): Promise<void> {
    const docKey = documentKey(owner, key);
    const doc = await this.#docs.get(docKey);
    if (doc === undefined) return;
    const record = parseRecord(doc.value, docKey);
    if (record.claimId !== claimId || record.state !== 'in-progress') return;
    // No conditional delete on every backend: a release overwrites with an expired record, which
    // a compare-and-set can guard, so a claim taken over meanwhile is never removed.
    const value =
      next === undefined
        ? { ...record, expiresAt: record.createdAt, lockedUntil: record.createdAt }
        : next(record);
    try {
      await this.#docs.put(docKey, value, { expectedVersion: doc.version });
    } catch (error) {
      // Taken over between the read and the write: the record is someone else's claim now.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}

/** A record that still binds its key: completed and not expired, or in progress and not abandoned. */
function isLive(record: IdempotencyRecord, now: Date): boolean {
  const at = now.getTime();
  if (Date.parse(record.expiresAt) <= at) return false;
  return record.state === 'completed' || Date.parse(record.lockedUntil) > at;
}

const SAFE_SEGMENT = /^[A-Za-z0-9_-]{1,128}$/;

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Keys are hashed (any printable text is allowed); owners are key ids, hashed only if unusual. */
export function documentKey(owner: string, key: string): string {
  const ownerSegment = SAFE_SEGMENT.test(owner) ? owner : `h-${sha256(owner)}`;
  return `idempotency/${ownerSegment}/${sha256(key)}.json`;
}

function parseRecord(value: unknown, docKey: string): IdempotencyRecord {
  const result = idempotencyRecordSchema.safeParse(value);
  if (!result.success) {
    throw new DependencyError(
      `Expected a valid idempotency record in ${docKey} but: ${formatIssues(listZodIssues(result.error))}`,
      { cause: result.error },
    );
  }
  return result.data;
}
