import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DependencyError } from '../errors.ts';
import {
  type DeliveryLog,
  type DeliveryLogMutation,
  deliveryLogKey,
  deliveryLogSchema,
  type WebhookDeliveryLog,
} from '../webhooks/delivery-log.ts';
import type { WebhookSubject } from '../webhooks/service-event.ts';
import { formatIssues, listZodIssues } from '../zod-issues.ts';
import { dependencyError, hasAwsErrorName, httpStatusOf } from './aws-errors.ts';

export interface S3DeliveryLogOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Read-modify-write rounds before a lost race becomes a DependencyError (default 8). */
  readonly maxAttempts?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Delivery logs as JSON objects beside the job records (`jobs/<id>/webhook-deliveries.json`), so
 * they expire with them. Races between the deliverer's Lambdas and the API are settled by S3
 * conditional writes (`If-None-Match: *` for a new log, `If-Match: <ETag>` for an update); the
 * loser re-reads and re-applies its change.
 */
export class S3DeliveryLog implements WebhookDeliveryLog {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #maxAttempts: number;

  constructor(options: S3DeliveryLogOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#maxAttempts = options.maxAttempts ?? 8;
  }

  async read(subject: WebhookSubject): Promise<DeliveryLog | undefined> {
    return (await this.#read(deliveryLogKey(subject)))?.log;
  }

  async update(
    subject: WebhookSubject,
    mutate: DeliveryLogMutation,
  ): Promise<DeliveryLog | undefined> {
    const key = deliveryLogKey(subject);
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.#read(key);
      const next = mutate(current?.log);
      if (next === undefined) return current?.log;
      const checked = deliveryLogSchema.parse(next);
      try {
        await this.#client.send(
          new PutObjectCommand({
            Bucket: this.#bucket,
            Key: key,
            Body: JSON.stringify(checked),
            ContentType: 'application/json',
            ...(current === undefined ? { IfNoneMatch: '*' } : { IfMatch: current.etag }),
          }),
        );
        return checked;
      } catch (error) {
        if (!isConditionFailure(error)) {
          throw dependencyError('S3 PutObject (delivery log)', error, {
            bucket: this.#bucket,
            key,
          });
        }
        if (attempt >= this.#maxAttempts) {
          throw new DependencyError(
            `Expected to update the delivery log ${key} but other writers changed it first ${attempt} times; retry later`,
            { cause: error, details: { key, attempt } },
          );
        }
        await sleep(Math.random() * 20 * attempt);
      }
    }
  }

  async #read(key: string): Promise<{ log: DeliveryLog; etag: string } | undefined> {
    let text: string;
    let etag: string;
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      text = (await out.Body?.transformToString('utf8')) ?? '';
      etag = out.ETag ?? '';
    } catch (error) {
      if (hasAwsErrorName(error, 'NoSuchKey') || httpStatusOf(error) === 404) return undefined;
      throw dependencyError('S3 GetObject (delivery log)', error, { bucket: this.#bucket, key });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new DependencyError(`Expected JSON in the delivery log ${key} but it does not parse`, {
        cause: error,
      });
    }
    const result = deliveryLogSchema.safeParse(value);
    if (!result.success) {
      throw new DependencyError(
        `Expected a valid delivery log in ${key} but: ${formatIssues(listZodIssues(result.error))}`,
        { cause: result.error },
      );
    }
    return { log: result.data, etag };
  }
}

/** 412 PreconditionFailed, or 409 ConditionalRequestConflict when two conditional writes overlap. */
function isConditionFailure(error: unknown): boolean {
  return (
    hasAwsErrorName(error, 'PreconditionFailed', 'ConditionalRequestConflict') ||
    httpStatusOf(error) === 412
  );
}
