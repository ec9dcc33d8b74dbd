import { layoutBatch } from '#core/batches/batch-layout.ts';
import {
  BATCH_EVENT_TYPES,
  type BatchRecord,
  type LineError,
  MAX_RECORDED_LINE_ERRORS,
  type NewBatchRecord,
} from '#core/batches/batch-record.ts';
import { RequestError, ValidationError } from '#core/errors.ts';
import { requireOutboundUrl } from '#core/net/outbound-url.ts';
import type { ApiContext } from '../api-context.ts';
import { parseWithSchema } from '../edit-request-schema.ts';
import { describeError } from '../http-errors.ts';
import type { BatchContext } from './batch-context.ts';
import { batchRequestSchema } from './batch-request-schema.ts';
import { cancelChunks } from './cancel-batch.ts';
import { eachLimited } from './parallel.ts';
import { checkDefaults, checkItems, type RawItem } from './parse-batch-items.ts';
import { readManifest, splitManifest } from './read-manifest.ts';

/** Chunk records and task messages written at once while a batch is created. */
const WRITE_CONCURRENCY = 8;

/**
 * `POST /v1/batches`: checks the body, then every item on its own (a broken item is a line error,
 * the good ones run), and stores the batch as `accepted` in the one order that never leaves a task
 * without its records:
 *
 * 1. the chunk records (each item's checked request, or its line error);
 * 2. the batch record, `accepted`;
 * 3. one `fan-out` task per chunk with items to create, on the batch task queue.
 *
 * No job is created in the request: the fan-out steps create them (fan-out-chunk.ts), so the
 * request takes the same short time for one item or 10,000. A batch whose items are all refused
 * is not stored: 400 with the line errors. A failure before the batch record is written leaves
 * only chunk records nobody can see; a task that cannot be sent cancels the batch again (its sent
 * tasks then find it canceled) and the request fails with 503.
 */
export async function createBatch(
  ctx: ApiContext,
  batches: BatchContext,
  body: unknown,
  caller: { readonly requestId: string; readonly owner: string },
): Promise<BatchRecord> {
  const { limits } = batches;
  const request = parseWithSchema(batchRequestSchema(), body);
  const webhook =
    request.webhook === undefined
      ? null
      : {
          url: requireOutboundUrl(request.webhook.url, 'webhook.url', ctx.outbound).href,
          events: [...new Set(request.webhook.events ?? BATCH_EVENT_TYPES)],
        };
  const defaults = request.defaults ?? {};
  await checkDefaults(defaults, ctx.config.limits);

  let raw: RawItem[];
  let source: NewBatchRecord['source'];
  if (request.items !== undefined) {
    if (request.items.length > limits.maxInlineItems) {
      throw new RequestError(
        'PAYLOAD_TOO_LARGE',
        `Expected at most ${limits.maxInlineItems} inline items but received ${request.items.length}; put larger batches in a JSONL manifest (up to ${limits.maxManifestItems} lines) and send { "manifest": { "uploadId": ... } }`,
        { details: { maxItems: limits.maxInlineItems, items: request.items.length } },
      );
    }
    raw = request.items.map((value, index) => ({ line: index + 1, value }));
    source = { kind: 'inline' };
  } else {
    const uploadId = request.manifest?.uploadId ?? '';
    const bytes = await readManifest(ctx, uploadId, caller.owner, limits);
    raw = splitManifest(bytes, limits);
    source = { kind: 'manifest', uploadId, bytes: bytes.byteLength };
  }

  const seeds = await checkItems(raw, defaults, ctx.config.limits, ctx.outbound);
  const lineErrors: LineError[] = seeds.flatMap((seed) =>
    'error' in seed ? [{ line: seed.line, ...seed.error }] : [],
  );
  if (lineErrors.length === seeds.length) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected at least one valid edit but all ${seeds.length} were refused; the first: line ${lineErrors[0]?.line}: ${lineErrors[0]?.message}`,
      {
        details: {
          lineErrorCount: lineErrors.length,
          lineErrors: lineErrors.slice(0, MAX_RECORDED_LINE_ERRORS),
        },
      },
    );
  }

  const id = batches.newBatchId();
  const { chunks, summaries } = layoutBatch(id, seeds, limits.chunkSize);
  await eachLimited(chunks, WRITE_CONCURRENCY, (chunk) =>
    ctx.dependency('batch store create chunk', () => batches.store.createChunk(chunk)),
  );
  const record = await ctx.dependency('batch store create', () =>
    batches.store.create({
      id,
      owner: caller.owner,
      status: 'accepted',
      source,
      timestamps: {
        createdAt: new Date(ctx.clock.now()).toISOString(),
        fannedOutAt: null,
        canceledAt: null,
        completedAt: null,
      },
      itemCount: seeds.length,
      chunks: summaries,
      lineErrors: {
        count: lineErrors.length,
        first: lineErrors.slice(0, MAX_RECORDED_LINE_ERRORS),
      },
      webhook,
      results: null,
      finalEvent: null,
      traceId: caller.requestId,
    }),
  );
  const pending = chunks.filter((chunk) => !chunk.fannedOut);
  try {
    await eachLimited(pending, WRITE_CONCURRENCY, (chunk) =>
      ctx.dependency('batch task send', () =>
        batches.tasks.send({
          v: 1,
          kind: 'fan-out',
          batchId: id,
          chunk: chunk.index,
          traceId: caller.requestId,
        }),
      ),
    );
  } catch (error) {
    await withdraw(ctx, batches, record, caller.requestId);
    throw error;
  }
  return record;
}

/** Cancels a batch whose tasks could not all be sent (best effort, logged). */
async function withdraw(
  ctx: ApiContext,
  batches: BatchContext,
  record: BatchRecord,
  requestId: string,
): Promise<void> {
  try {
    const at = new Date(ctx.clock.now()).toISOString();
    const canceled = await batches.store.update(record.id, (batch) => ({
      ...batch,
      status: 'canceled',
      timestamps: { ...batch.timestamps, canceledAt: at },
    }));
    await cancelChunks(ctx, batches, canceled, { requestId, deadline: Number.POSITIVE_INFINITY });
  } catch (error) {
    // The batch stays `accepted` with chunks nobody fans out; the client was answered 503 and
    // never saw its id.
    ctx.log({
      level: 'error',
      msg: 'batch left accepted without its tasks',
      requestId,
      batchId: record.id,
      error: describeError(error),
    });
  }
}
