import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import { DependencyError } from '../errors.ts';
import { formatIssues, listZodIssues } from '../zod-issues.ts';
import { dependencyError, hasAwsErrorName, httpStatusOf } from './aws-errors.ts';

/**
 * JSON records as S3 objects, shared by the S3 stores (jobs, batches, delivery logs). The ETag is
 * the record's version: a create sends `If-None-Match: *`, a replace `If-Match: <ETag>`, so of two
 * racing writers S3 lets one win and answers the other 412 (or 409 ConditionalRequestConflict).
 */
export type PutCondition = { readonly IfNoneMatch: '*' } | { readonly IfMatch: string };

export interface S3Location {
  readonly client: S3Client;
  readonly bucket: string;
}

/**
 * Reads and validates one record; undefined when there is no object under `key`.
 * @param what names the record in messages, e.g. "job record".
 * @throws DependencyError when S3 fails, or the object is not valid JSON of `schema` (possibly
 *   written by a newer schema during a rolling deploy: retryable).
 */
export async function readJsonObject<T>(
  s3: S3Location,
  key: string,
  schema: z.ZodType<T>,
  what: string,
): Promise<{ value: T; etag: string } | undefined> {
  let text: string;
  let etag: string;
  try {
    const out = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    text = (await out.Body?.transformToString('utf8')) ?? '';
    etag = out.ETag ?? '';
  } catch (error) {
    if (hasAwsErrorName(error, 'NoSuchKey') || httpStatusOf(error) === 404) return undefined;
    throw dependencyError(`S3 GetObject (${what})`, error, { bucket: s3.bucket, key });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DependencyError(`Expected JSON in the ${what} ${key} but it does not parse`, {
      cause: error,
    });
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new DependencyError(
      `Expected a valid ${what} in ${key} but: ${formatIssues(listZodIssues(result.error))}`,
      { cause: result.error },
    );
  }
  return { value: result.data, etag };
}

/**
 * Writes one record as JSON, conditionally when `condition` is given; returns the new ETag.
 * Throws the SDK's error as is: callers tell a lost race (isConditionFailure) from an outage.
 */
export async function putJsonObject(
  s3: S3Location,
  key: string,
  value: unknown,
  condition?: PutCondition,
): Promise<string> {
  const out = await s3.client.send(
    new PutObjectCommand({
      Bucket: s3.bucket,
      Key: key,
      Body: JSON.stringify(value),
      ContentType: 'application/json',
      ...condition,
    }),
  );
  return out.ETag ?? '';
}

/** 412 PreconditionFailed, or 409 ConditionalRequestConflict when two conditional writes overlap. */
export function isConditionFailure(error: unknown): boolean {
  return (
    hasAwsErrorName(error, 'PreconditionFailed', 'ConditionalRequestConflict') ||
    httpStatusOf(error) === 412 ||
    httpStatusOf(error) === 409
  );
}
