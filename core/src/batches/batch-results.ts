import type { BatchChunk, BatchItem, ItemStatus } from './batch-record.ts';

/** The MIME type of the results manifest. */
export const RESULTS_CONTENT_TYPE = 'application/x-ndjson';

/**
 * One line of `batches/<id>/results.jsonl`. The file keeps object keys, not URLs, so it never goes
 * stale: `GET /v1/batches/{id}` answers fresh presigned URLs (the file's, and each item's on its
 * pages), and `links.self` answers the job with a fresh URL of its output.
 */
export interface ResultLine {
  readonly line: number;
  readonly jobId: string | null;
  readonly status: ItemStatus;
  readonly output: BatchItem['output'];
  readonly error: BatchItem['error'];
  readonly links: { readonly self: string } | null;
}

export function resultLine(item: BatchItem): ResultLine {
  return {
    line: item.line,
    jobId: item.jobId,
    status: item.status,
    output: item.status === 'succeeded' ? item.output : null,
    error: item.status === 'succeeded' ? null : item.error,
    links: item.jobId === null ? null : { self: `/v1/edits/${item.jobId}` },
  };
}

/** The results manifest of a batch: one JSON line per item, in line order. */
export function resultsManifest(chunks: readonly BatchChunk[]): Uint8Array {
  const ordered = [...chunks].sort((a, b) => a.index - b.index);
  const text = ordered
    .flatMap((chunk) => chunk.items.map((item) => `${JSON.stringify(resultLine(item))}\n`))
    .join('');
  return new TextEncoder().encode(text);
}
