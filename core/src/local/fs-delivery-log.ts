import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
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
import { readFileIfExists, writeFileAtomic } from './atomic-file.ts';
import { withFileLock } from './file-lock.ts';
import { KeyedMutex } from './keyed-mutex.ts';

export interface FsDeliveryLogOptions {
  /** The local bucket folder (the one FsJobStore uses): logs live at the S3 key layout under it. */
  readonly root: string;
  /** How long an update waits for another process's lock (default 5 s). */
  readonly lockTimeoutMs?: number;
}

/** Shared by every instance in the process, so two logs on one folder still serialize. */
const mutex = new KeyedMutex();

/**
 * Delivery logs as JSON files. Writes are atomic (temporary file and rename); updates of one
 * subject serialize in memory and, across processes (the API and the deliverer), through a lock
 * file beside the log.
 */
export class FsDeliveryLog implements WebhookDeliveryLog {
  readonly #root: string;
  readonly #lockTimeoutMs: number;

  constructor(options: FsDeliveryLogOptions) {
    this.#root = resolve(options.root);
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
  }

  async read(subject: WebhookSubject): Promise<DeliveryLog | undefined> {
    const path = this.#pathOf(subject);
    const bytes = await readFileIfExists(path);
    return bytes === undefined ? undefined : parseStored(bytes, path);
  }

  update(subject: WebhookSubject, mutate: DeliveryLogMutation): Promise<DeliveryLog | undefined> {
    const path = this.#pathOf(subject);
    return mutex.run(path, async () => {
      await mkdir(dirname(path), { recursive: true });
      return withFileLock(
        `${path}.lock`,
        async () => {
          const bytes = await readFileIfExists(path);
          const current = bytes === undefined ? undefined : parseStored(bytes, path);
          const next = mutate(current);
          if (next === undefined) return current;
          const checked = deliveryLogSchema.parse(next);
          await writeFileAtomic(path, `${JSON.stringify(checked)}\n`);
          return checked;
        },
        { timeoutMs: this.#lockTimeoutMs },
      );
    });
  }

  #pathOf(subject: WebhookSubject): string {
    return join(this.#root, deliveryLogKey(subject));
  }
}

function parseStored(bytes: Buffer, path: string): DeliveryLog {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new DependencyError(`Expected JSON in the delivery log ${path} but it does not parse`, {
      cause: error,
    });
  }
  const result = deliveryLogSchema.safeParse(value);
  if (!result.success) {
    throw new DependencyError(
      `Expected a valid delivery log in ${path} but: ${formatIssues(listZodIssues(result.error))}`,
      { cause: result.error },
    );
  }
  return result.data;
}
