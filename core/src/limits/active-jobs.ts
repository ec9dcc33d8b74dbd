import { ConflictError, LimitError } from '../errors.ts';
import type { DocumentStore } from './document-store.ts';

/** Where a listed job stands: still counting, finished, or (not yet) in the job store. */
export type JobActivity = 'active' | 'done' | 'missing';

export interface ReserveSlotsOptions {
  readonly keyId: string;
  readonly jobIds: readonly string[];
  /** Queued plus running jobs the key may have at once. */
  readonly limit: number;
  readonly now: number;
  /** Reads where a job stands (the job store: queued or running count, anything else is done). */
  readonly activity: (jobId: string) => Promise<JobActivity>;
  /** The `Retry-After` of a refusal: when a slot frees cannot be known, so this is a poll hint. */
  readonly retryAfterSeconds: number;
  /**
   * A reserved job not in the job store yet is being submitted; after this long it never will be
   * (the submission failed without releasing) and stops counting. @default 120000
   */
  readonly graceMs?: number;
}

interface Entry {
  readonly id: string;
  readonly reservedAt: number;
}

const MAX_ATTEMPTS = 8;

/** `limits/active/<keyId>.json`: the jobs of a key that may still be queued or running. */
export function activeDocumentKey(keyId: string): string {
  return `limits/active/${keyId}.json`;
}

function entriesOf(value: unknown): Entry[] {
  const jobs = (value as { jobs?: unknown } | undefined)?.jobs;
  if (!Array.isArray(jobs)) return [];
  return jobs.filter(
    (job): job is Entry =>
      typeof job === 'object' &&
      job !== null &&
      typeof (job as Entry).id === 'string' &&
      typeof (job as Entry).reservedAt === 'number',
  );
}

/**
 * Reserves concurrency slots for new jobs of a key. The key's document lists the jobs it reserved;
 * each reservation first drops the ones the job store shows finished (so nothing has to decrement
 * when a worker ends a job), then adds the new ids with a compare-and-set, so two racing
 * submissions cannot both take the last slot. Cost: one read per listed job (at most the limit).
 * @returns how many jobs of the key are active, the new ones included.
 * @throws LimitError `CONCURRENCY_LIMITED` when the new jobs do not all fit (nothing reserved).
 */
export async function reserveSlots(
  docs: DocumentStore,
  options: ReserveSlotsOptions,
): Promise<number> {
  const key = activeDocumentKey(options.keyId);
  const graceMs = options.graceMs ?? 120_000;
  for (let attempt = 1; ; attempt++) {
    const doc = await docs.get(key);
    const entries = entriesOf(doc?.value);
    const states = await Promise.all(entries.map((entry) => options.activity(entry.id)));
    const kept = entries.filter(
      (entry, index) =>
        states[index] === 'active' ||
        (states[index] === 'missing' && options.now - entry.reservedAt < graceMs),
    );
    const fresh = options.jobIds.filter((id) => !kept.some((entry) => entry.id === id));
    if (kept.length + fresh.length > options.limit) {
      throw new LimitError(
        'CONCURRENCY_LIMITED',
        `Expected at most ${options.limit} queued or running jobs for API key ${options.keyId} but ${kept.length} ${kept.length === 1 ? 'is' : 'are'} active and ${fresh.length} more ${fresh.length === 1 ? 'was' : 'were'} submitted; wait for a job to finish (or cancel one) and retry`,
        {
          retryAfterSeconds: options.retryAfterSeconds,
          details: {
            keyId: options.keyId,
            concurrency: options.limit,
            active: kept.length,
            requested: fresh.length,
          },
        },
      );
    }
    const next = {
      jobs: [...kept, ...fresh.map((id) => ({ id, reservedAt: options.now }))],
    };
    try {
      await docs.put(key, next, { expectedVersion: doc?.version ?? null });
      return next.jobs.length;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= MAX_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/** Frees the slots of jobs whose submission failed (best effort: the caller logs errors). */
export async function releaseSlots(
  docs: DocumentStore,
  keyId: string,
  jobIds: readonly string[],
): Promise<void> {
  const key = activeDocumentKey(keyId);
  for (let attempt = 1; ; attempt++) {
    const doc = await docs.get(key);
    if (doc === undefined) return;
    const entries = entriesOf(doc.value);
    const kept = entries.filter((entry) => !jobIds.includes(entry.id));
    if (kept.length === entries.length) return;
    try {
      await docs.put(key, { jobs: kept }, { expectedVersion: doc.version });
      return;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
