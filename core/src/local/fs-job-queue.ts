import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ValidationError } from '../errors.ts';
import type { JobQueue, Lease, ReceiveOptions, SendOptions } from '../ports.ts';
import { type MessageParser, parseMessage } from '../queue/message-parser.ts';
import { checkReceiveOptions, checkSendOptions } from '../queue/queue-limits.ts';
import { isMissingFileError, writeFileAtomic } from './atomic-file.ts';
import { FsLease, type LeaseOps } from './fs-lease.ts';
import { entryName, parseEntryName, type QueueEntry } from './fs-queue-entry.ts';
import { notifyQueue, waitForQueue } from './queue-wakeups.ts';

export interface FsJobQueueOptions<T> {
  /** The queue's folder; one JSON file per message. */
  readonly dir: string;
  /** Validates a message on send and on receive (e.g. `parseJobMessage`). */
  readonly parse: MessageParser<T>;
  /**
   * SQS's redrive policy: a message received `maxReceiveCount` times without an ack moves to
   * `dir` instead of being delivered again. Without it, a message is redelivered forever.
   */
  readonly deadLetter?: { readonly dir: string; readonly maxReceiveCount: number };
  /** How often a long poll looks at the folder for messages sent by other processes (default 200 ms). */
  readonly pollIntervalMs?: number;
  /** The clock of visibility and delays (tests pass a fake one). Default `Date.now`. */
  readonly now?: () => number;
  /** Called for a message that no longer parses; it stays leased and ends in the dead-letter queue. */
  readonly onInvalidMessage?: (error: unknown, messageId: string) => void;
}

interface StoredMessage {
  readonly messageId: string;
  readonly sentAt: string;
  readonly body: unknown;
}

/**
 * A file-backed queue with SQS semantics (lease = visibility timeout, receive count, delays, long
 * poll, dead-letter move) that survives a restart of the process: everything is on the disk, and a
 * message leased by a process that died becomes visible again when its lease runs out.
 * Several processes may share the folder; each state change is an atomic rename (fs-queue-entry.ts).
 */
export class FsJobQueue<T> implements JobQueue<T> {
  readonly #dir: string;
  readonly #parse: MessageParser<T>;
  readonly #deadLetter: { readonly dir: string; readonly maxReceiveCount: number } | undefined;
  readonly #pollIntervalMs: number;
  readonly #now: () => number;
  readonly #onInvalidMessage: (error: unknown, messageId: string) => void;
  #ready: Promise<void> | undefined;

  constructor(options: FsJobQueueOptions<T>) {
    this.#dir = resolve(options.dir);
    this.#parse = options.parse;
    this.#deadLetter =
      options.deadLetter === undefined
        ? undefined
        : {
            dir: resolve(options.deadLetter.dir),
            maxReceiveCount: checkMaxReceiveCount(options.deadLetter.maxReceiveCount),
          };
    this.#pollIntervalMs = options.pollIntervalMs ?? 200;
    this.#now = options.now ?? Date.now;
    this.#onInvalidMessage = options.onInvalidMessage ?? (() => {});
  }

  /** The queue's folder (absolute). */
  get dir(): string {
    return this.#dir;
  }

  async send(message: T, options?: SendOptions): Promise<void> {
    const delaySeconds = checkSendOptions(options);
    const body = parseMessage(this.#parse, message, 'the message to send');
    await this.#ensureDirs();
    const messageId = nextMessageId();
    const stored: StoredMessage = { messageId, sentAt: new Date(this.#now()).toISOString(), body };
    const name = entryName({
      visibleAt: this.#now() + delaySeconds * 1000,
      receiveCount: 0,
      token: undefined,
      messageId,
    });
    await writeFileAtomic(join(this.#dir, name), JSON.stringify(stored));
    if (delaySeconds === 0) notifyQueue(this.#dir);
  }

  async receive(options: ReceiveOptions): Promise<Lease<T>[]> {
    checkReceiveOptions(options);
    await this.#ensureDirs();
    const deadline = Date.now() + options.waitSeconds * 1000;
    for (;;) {
      if (options.signal?.aborted) return [];
      const { leases, nextVisibleInMs } = await this.#claim(
        options.maxMessages,
        options.leaseSeconds,
      );
      if (leases.length > 0) return leases;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return [];
      await waitForQueue(
        this.#dir,
        Math.min(remaining, this.#pollIntervalMs, nextVisibleInMs),
        options.signal,
      );
    }
  }

  /** Counts the messages by state, for inspection and local autoscaling decisions. */
  async depth(): Promise<{ visible: number; hidden: number }> {
    await this.#ensureDirs();
    const now = this.#now();
    let visible = 0;
    let hidden = 0;
    for (const entry of await this.#entries()) {
      if (entry.visibleAt <= now) visible += 1;
      else hidden += 1;
    }
    return { visible, hidden };
  }

  async #claim(
    max: number,
    leaseSeconds: number,
  ): Promise<{ leases: Lease<T>[]; nextVisibleInMs: number }> {
    const now = this.#now();
    const entries = await this.#entries();
    const leases: Lease<T>[] = [];
    let nextVisibleInMs = Number.POSITIVE_INFINITY;
    for (const entry of entries) {
      if (entry.visibleAt > now) {
        nextVisibleInMs = Math.min(nextVisibleInMs, entry.visibleAt - now);
        continue;
      }
      if (leases.length >= max) break;
      const lease = await this.#claimOne(entry, now, leaseSeconds);
      if (lease !== undefined) leases.push(lease);
    }
    return { leases, nextVisibleInMs };
  }

  async #claimOne(
    entry: QueueEntry,
    now: number,
    leaseSeconds: number,
  ): Promise<Lease<T> | undefined> {
    const from = join(this.#dir, entryName(entry));
    const receiveCount = entry.receiveCount + 1;
    const deadLetter = this.#deadLetter;
    if (deadLetter !== undefined && receiveCount > deadLetter.maxReceiveCount) {
      const moved = entryName({ ...entry, visibleAt: now, token: undefined });
      if (await renameIfPresent(from, join(deadLetter.dir, moved))) notifyQueue(deadLetter.dir);
      return undefined;
    }
    const claimed: QueueEntry = {
      visibleAt: now + leaseSeconds * 1000,
      receiveCount,
      token: randomBytes(8).toString('hex'),
      messageId: entry.messageId,
    };
    const path = join(this.#dir, entryName(claimed));
    if (!(await renameIfPresent(from, path))) return undefined; // another consumer won
    let message: T;
    try {
      const stored = JSON.parse(await readFile(path, 'utf8')) as StoredMessage;
      message = parseMessage(this.#parse, stored.body, `message ${entry.messageId}`);
    } catch (error) {
      if (isMissingFileError(error)) return undefined;
      this.#onInvalidMessage(error, entry.messageId);
      return undefined;
    }
    return new FsLease(this.#leaseOps(), claimed, message, new Date(now));
  }

  async #entries(): Promise<QueueEntry[]> {
    const names = (await readdir(this.#dir)).sort();
    const entries: QueueEntry[] = [];
    for (const name of names) {
      const entry = parseEntryName(name);
      if (entry !== undefined) entries.push(entry);
    }
    return entries;
  }

  #leaseOps(): LeaseOps {
    const dir = this.#dir;
    const now = this.#now;
    return {
      dir,
      now,
      transition: async (from, to) => {
        const moved = await renameIfPresent(join(dir, entryName(from)), join(dir, entryName(to)));
        if (moved && to.token === undefined && to.visibleAt <= now()) notifyQueue(dir);
        return moved;
      },
      remove: async (entry) => {
        try {
          await unlink(join(dir, entryName(entry)));
          return true;
        } catch (error) {
          if (isMissingFileError(error)) return false;
          throw error;
        }
      },
    };
  }

  #ensureDirs(): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(this.#dir, { recursive: true });
      if (this.#deadLetter !== undefined) await mkdir(this.#deadLetter.dir, { recursive: true });
    })();
    return this.#ready;
  }
}

let sequence = 0;

/**
 * 36 hex digits: milliseconds, a per-process sequence, then randomness. File names sort by
 * visibility time and then by this id, so messages that become visible together are delivered
 * in the order they were sent (best effort across processes, like an SQS standard queue).
 */
function nextMessageId(): string {
  sequence = (sequence + 1) % 0x1_0000_0000;
  return (
    Date.now().toString(16).padStart(12, '0') +
    sequence.toString(16).padStart(8, '0') +
    randomBytes(8).toString('hex')
  );
}

async function renameIfPresent(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    if (isMissingFileError(error)) return false;
    throw error;
  }
}

function checkMaxReceiveCount(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "maxReceiveCount" to be an integer from 1 to 1000 but received ${String(value)}`,
    );
  }
  return value;
}
