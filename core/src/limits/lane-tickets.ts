import type { Lane } from '../jobs/job-record.ts';
import { type DocumentStore, updateDocument } from './document-store.ts';

/**
 * Lane tickets: each job submitted to a lane draws the next number of the lane's counter
 * (`limits/lanes/<lane>.json`, `{ "issued": n }`), kept with the job in
 * `limits/tickets/<jobId>.json`. A queued job's position is then estimated from the lane's depth
 * and how many jobs were submitted after it (queue-position.ts). Tickets are best effort: a
 * counter too contended to update leaves the job without one, and its position unknown.
 */
export function laneDocumentKey(lane: Lane): string {
  return `limits/lanes/${lane}.json`;
}

export function ticketDocumentKey(jobId: string): string {
  return `limits/tickets/${jobId}.json`;
}

function issuedOf(value: unknown): number {
  const issued = (value as { issued?: unknown } | undefined)?.issued;
  return typeof issued === 'number' && Number.isSafeInteger(issued) && issued >= 0 ? issued : 0;
}

/**
 * Draws one ticket per job, in the order given, and records each with its job.
 * @returns the tickets (the first job's ticket, then the next numbers).
 */
export async function drawTickets(
  docs: DocumentStore,
  lane: Lane,
  jobIds: readonly string[],
): Promise<number[]> {
  const next = await updateDocument(
    docs,
    laneDocumentKey(lane),
    (current) => ({ issued: issuedOf(current) + jobIds.length }),
    4,
  );
  const last = next?.issued ?? 0;
  const tickets = jobIds.map((_, index) => last - jobIds.length + 1 + index);
  await Promise.all(
    jobIds.map((id, index) => docs.put(ticketDocumentKey(id), { lane, ticket: tickets[index] })),
  );
  return tickets;
}

/** The ticket a job drew, if any. */
export async function readTicket(docs: DocumentStore, jobId: string): Promise<number | undefined> {
  const value = (await docs.get(ticketDocumentKey(jobId)))?.value as
    | { ticket?: unknown }
    | undefined;
  return typeof value?.ticket === 'number' ? value.ticket : undefined;
}

/** How many tickets the lane has issued. */
export async function issuedTickets(docs: DocumentStore, lane: Lane): Promise<number> {
  return issuedOf((await docs.get(laneDocumentKey(lane)))?.value);
}

/**
 * A queued job's place from the lane's depth (messages waiting, the job's own included) and the
 * tickets drawn after it: lanes are served roughly in order, so the jobs submitted after it are
 * still waiting behind it and the rest of the depth is ahead. Clamped to [0, depth - 1].
 */
export function estimateAhead(depth: number, issued: number, ticket: number): number {
  const behind = Math.max(0, issued - ticket);
  return Math.max(0, Math.min(depth - 1, depth - 1 - behind));
}
