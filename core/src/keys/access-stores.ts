import { join } from 'node:path';
import {
  DocumentIdempotencyStore,
  type IdempotencyStore,
} from '../idempotency/idempotency-store.ts';
import type { DocumentStore } from '../limits/document-store.ts';
import { FsDocumentStore } from '../limits/fs-document-store.ts';
import { MemoryDocumentStore } from '../limits/memory-document-store.ts';
import { DocumentKeyStore, type KeyStore } from './key-store.ts';

/**
 * The stores behind API keys, idempotency and per-key limits, all on one DocumentStore:
 * `keys/`, `idempotency/` and `limits/` (quotas, concurrency, lane tickets).
 */
export interface AccessStores {
  readonly keys: KeyStore;
  readonly idempotency: IdempotencyStore;
  /** Daily quota counters, per-key active jobs, lane tickets (functions/src/api/auth/). */
  readonly usage: DocumentStore;
}

/** The folder under the local data folder that holds the access stores. */
export const LOCAL_ACCESS_FOLDER = 'access';

export function accessStoresOn(docs: DocumentStore): AccessStores {
  return {
    keys: new DocumentKeyStore(docs),
    idempotency: new DocumentIdempotencyStore(docs),
    usage: docs,
  };
}

/**
 * Local mode: `<dataDir>/access/{keys,idempotency,limits}/…` (the S3 key layout). On AWS the same
 * prefixes live in the service bucket: core/src/aws/s3-access-stores.ts.
 */
export function createLocalAccessStores(dataDir: string): AccessStores {
  return accessStoresOn(new FsDocumentStore({ root: join(dataDir, LOCAL_ACCESS_FOLDER) }));
}

/** One process, nothing kept: tests and servers without a data folder. */
export function createMemoryAccessStores(): AccessStores {
  return accessStoresOn(new MemoryDocumentStore());
}
