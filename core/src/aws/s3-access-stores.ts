import type { S3Client } from '@aws-sdk/client-s3';
import { type AccessStores, accessStoresOn } from '../keys/access-stores.ts';
import { S3DocumentStore } from './s3-document-store.ts';

/** AWS: API keys, idempotency records and per-key limits under `keys/`, `idempotency/`, `limits/`. */
export function createS3AccessStores(options: {
  readonly client: S3Client;
  readonly bucket: string;
}): AccessStores {
  return accessStoresOn(new S3DocumentStore(options));
}
