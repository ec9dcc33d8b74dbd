import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DependencyError } from '../errors.ts';
import {
  checkDocumentKey,
  checkDocumentPrefix,
  type DocumentStore,
  documentConflict,
  type PutDocumentOptions,
  type StoredDocument,
} from '../limits/document-store.ts';
import { dependencyError, hasAwsErrorName, httpStatusOf } from './aws-errors.ts';
import { isConditionFailure } from './s3-json-object.ts';

export interface S3DocumentStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
}

/**
 * Documents as JSON objects in the service bucket (S3 is strongly consistent, read-your-writes).
 * The version is the ETag; a create-only put sends `If-None-Match: *` and a replace sends
 * `If-Match: <ETag>`, so of two racing writers S3 lets one win and answers the other 412
 * (or 409 ConditionalRequestConflict), which becomes a ConflictError.
 * fauxqs 1.9.2 ignores both headers (docs/ports.md, docs/keys-and-limits.md): the race tests need
 * real S3 or the conditional PUT shim of core/test/helpers.
 */
export class S3DocumentStore implements DocumentStore {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: S3DocumentStoreOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
  }

  async get(key: string): Promise<StoredDocument | undefined> {
    checkDocumentKey(key);
    let text: string;
    let version: string;
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      text = (await out.Body?.transformToString('utf8')) ?? '';
      version = out.ETag ?? '';
    } catch (error) {
      if (hasAwsErrorName(error, 'NoSuchKey') || httpStatusOf(error) === 404) return undefined;
      throw dependencyError('S3 GetObject (document)', error, { bucket: this.#bucket, key });
    }
    try {
      return { value: JSON.parse(text), version };
    } catch (error) {
      throw new DependencyError(`Expected JSON in the document ${key} but it does not parse`, {
        cause: error,
      });
    }
  }

  async put(key: string, value: unknown, options: PutDocumentOptions = {}): Promise<string> {
    checkDocumentKey(key);
    const expected = options.expectedVersion;
    const condition =
      expected === undefined
        ? {}
        : expected === null
          ? { IfNoneMatch: '*' }
          : { IfMatch: expected };
    try {
      const out = await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: JSON.stringify(value),
          ContentType: 'application/json',
          ...condition,
        }),
      );
      return out.ETag ?? '';
    } catch (error) {
      if (expected !== undefined && isConditionFailure(error)) {
        throw documentConflict(key, expected, error);
      }
      throw dependencyError('S3 PutObject (document)', error, { bucket: this.#bucket, key });
    }
  }

  async delete(key: string): Promise<void> {
    checkDocumentKey(key);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      if (hasAwsErrorName(error, 'NoSuchKey') || httpStatusOf(error) === 404) return;
      throw dependencyError('S3 DeleteObject (document)', error, { bucket: this.#bucket, key });
    }
  }

  async list(prefix: string): Promise<string[]> {
    checkDocumentPrefix(prefix);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      try {
        const out = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: prefix,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
        for (const item of out.Contents ?? []) if (item.Key !== undefined) keys.push(item.Key);
        token = out.IsTruncated === true ? out.NextContinuationToken : undefined;
      } catch (error) {
        throw dependencyError('S3 ListObjectsV2 (documents)', error, {
          bucket: this.#bucket,
          prefix,
        });
      }
    } while (token !== undefined);
    return keys.sort();
  }
}
