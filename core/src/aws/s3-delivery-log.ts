import type { S3Client } from '@aws-sdk/client-s3';
import { DependencyError } from '../errors.ts';
import {
  type DeliveryLog,
  type DeliveryLogMutation,
  deliveryLogKey,
  deliveryLogSchema,
  type WebhookDeliveryLog,
} from '../webhooks/delivery-log.ts';
import type { WebhookSubject } from '../webhooks/service-event.ts';
import { dependencyError } from './aws-errors.ts';
import {
  isConditionFailure,
  putJsonObject,
  readJsonObject,
  type S3Location,
} from './s3-json-object.ts';

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
  readonly #s3: S3Location;
  readonly #maxAttempts: number;

  constructor(options: S3DeliveryLogOptions) {
    this.#s3 = { client: options.client, bucket: options.bucket };
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
        await putJsonObject(
          this.#s3,
          key,
          checked,
          current === undefined ? { IfNoneMatch: '*' } : { IfMatch: current.etag },
        );
        return checked;
      } catch (error) {
        if (!isConditionFailure(error)) {
          throw dependencyError('S3 PutObject (delivery log)', error, {
            bucket: this.#s3.bucket,
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
    const read = await readJsonObject(this.#s3, key, deliveryLogSchema, 'delivery log');
    return read === undefined ? undefined : { log: read.value, etag: read.etag };
  }
}
