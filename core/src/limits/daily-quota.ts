import { LimitError } from '../errors.ts';
import { type DocumentStore, updateDocument } from './document-store.ts';

/**
 * Jobs per UTC day and key, counted in `limits/quota/<keyId>/<YYYY-MM-DD>.json` (`{ "used": n }`)
 * with compare-and-set increments, so racing submissions never both take the last job. A day's
 * counter is never reset: the next day has its own document (a bucket lifecycle rule may expire
 * `limits/quota/` after two days).
 */
export function quotaDocumentKey(keyId: string, now: number): string {
  return `limits/quota/${keyId}/${new Date(now).toISOString().slice(0, 10)}.json`;
}

/** Whole seconds from `now` to the next UTC midnight, at least 1. */
export function secondsUntilUtcMidnight(now: number): number {
  const day = 86_400_000;
  return Math.max(1, Math.ceil((Math.floor(now / day) * day + day - now) / 1000));
}

function usedOf(value: unknown): number {
  const used = (value as { used?: unknown } | undefined)?.used;
  return typeof used === 'number' && Number.isSafeInteger(used) && used >= 0 ? used : 0;
}

/**
 * Counts `count` jobs against today's quota of `keyId`.
 * @returns how many jobs of the quota are used today, these included.
 * @throws LimitError `QUOTA_EXCEEDED` (nothing counted) when they do not all fit, with the seconds
 *   until the next UTC day.
 */
export async function reserveQuota(
  docs: DocumentStore,
  keyId: string,
  jobsPerDay: number,
  count: number,
  now: number,
): Promise<number> {
  let usedBefore = 0;
  const next = await updateDocument(docs, quotaDocumentKey(keyId, now), (current) => {
    usedBefore = usedOf(current);
    return usedBefore + count > jobsPerDay ? undefined : { used: usedBefore + count };
  });
  if (next !== undefined) return next.used;
  const retryAfterSeconds = secondsUntilUtcMidnight(now);
  const resetsAt = new Date(now + retryAfterSeconds * 1000).toISOString();
  throw new LimitError(
    'QUOTA_EXCEEDED',
    `Expected at most ${jobsPerDay} jobs per UTC day for API key ${keyId} but ${usedBefore} are used today and ${count} more ${count === 1 ? 'was' : 'were'} asked for; the quota resets at ${resetsAt}`,
    {
      retryAfterSeconds,
      details: { keyId, jobsPerDay, used: usedBefore, requested: count, resetsAt },
    },
  );
}

/** Gives back jobs counted for a submission that failed (best effort: the caller logs errors). */
export async function refundQuota(
  docs: DocumentStore,
  keyId: string,
  count: number,
  reservedAt: number,
): Promise<void> {
  await updateDocument(docs, quotaDocumentKey(keyId, reservedAt), (current) => {
    const used = usedOf(current);
    return used === 0 ? undefined : { used: Math.max(0, used - count) };
  });
}
