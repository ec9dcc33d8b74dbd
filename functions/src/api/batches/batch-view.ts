import {
  BATCH_ID_PATTERN,
  type BatchItem,
  type BatchRecord,
  sumCounts,
} from '#core/batches/batch-record.ts';
import { NotFoundError } from '#core/errors.ts';
import type { SignedUrl } from '#core/ports.ts';
import type { ApiContext } from '../api-context.ts';
import type { BatchContext } from './batch-context.ts';

/** The public links of a batch. Relative, so they hold behind any host or proxy. */
export function batchLinks(id: string): { self: string; cancel: string } {
  const self = `/v1/batches/${encodeURIComponent(id)}`;
  return { self, cancel: `${self}/cancel` };
}

/**
 * Reads a batch of `owner`, or throws NotFoundError (404): another owner's batch and an id no
 * batch can have (answered without a store call) look the same as one that does not exist.
 */
export async function readBatch(
  ctx: ApiContext,
  batches: BatchContext,
  id: string,
  owner: string,
): Promise<BatchRecord> {
  const record = BATCH_ID_PATTERN.test(id)
    ? await ctx.dependency('batch store get', () => batches.store.get(id))
    : undefined;
  if (record === undefined || record.owner !== owner) {
    throw new NotFoundError(
      `Expected the id of a created batch but no batch ${JSON.stringify(id.slice(0, 80))} exists`,
      { details: { id: id.slice(0, 80) } },
    );
  }
  return record;
}

/** One item as `GET /v1/batches/{id}` shows it. */
export function toItemView(item: BatchItem, output: SignedUrl | undefined) {
  return {
    line: item.line,
    id: item.jobId,
    status: item.status,
    error: item.status === 'succeeded' ? null : item.error,
    output:
      item.output === null || output === undefined || item.status !== 'succeeded'
        ? null
        : {
            url: output.url,
            expiresAt: output.expiresAt.toISOString(),
            width: item.output.width,
            height: item.output.height,
            format: item.output.format,
          },
    links: item.jobId === null ? null : { self: `/v1/edits/${encodeURIComponent(item.jobId)}` },
  };
}

export type ItemView = ReturnType<typeof toItemView>;

/** What `POST /v1/batches` answers (202). */
export function toAcceptedView(record: BatchRecord) {
  return {
    id: record.id,
    status: record.status,
    createdAt: record.timestamps.createdAt,
    items: record.itemCount,
    accepted: record.itemCount - record.lineErrors.count,
    lineErrors: { count: record.lineErrors.count, items: record.lineErrors.first },
    links: batchLinks(record.id),
  };
}

/** What `GET /v1/batches/{id}` answers; the page of items comes from get-batch.ts. */
export function toBatchView(
  record: BatchRecord,
  page: { readonly items: ItemView[]; readonly nextCursor: string | null },
  results: SignedUrl | undefined,
) {
  const counts = sumCounts(record.chunks);
  const links = batchLinks(record.id);
  return {
    id: record.id,
    status: record.status,
    source: record.source.kind,
    createdAt: record.timestamps.createdAt,
    fannedOutAt: record.timestamps.fannedOutAt,
    canceledAt: record.timestamps.canceledAt,
    completedAt: record.timestamps.completedAt,
    counts: { total: record.itemCount, ...counts },
    lineErrors: { count: record.lineErrors.count, items: record.lineErrors.first },
    webhook: record.webhook,
    results:
      record.results === null || results === undefined
        ? null
        : {
            url: results.url,
            expiresAt: results.expiresAt.toISOString(),
            items: record.results.items,
          },
    items: page.items,
    nextCursor: page.nextCursor,
    links:
      page.nextCursor === null
        ? links
        : { ...links, next: `${links.self}?cursor=${encodeURIComponent(page.nextCursor)}` },
  };
}

export type BatchView = ReturnType<typeof toBatchView>;
