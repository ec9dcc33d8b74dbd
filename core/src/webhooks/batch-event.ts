import { z } from 'zod';
import { parseMessage } from '../queue/message-parser.ts';

/**
 * Batch events on their way to a batch's webhook. They travel on the same events queue as job
 * events (the deliverer reads both, see service-event.ts) and are delivered, signed and logged the
 * same way. The batch feature chooses the types (`batch.<name>`) and the `data` it sends.
 */

/** `batch.` then a lower-case name, e.g. `batch.completed` (Standard Webhooks: `[a-zA-Z0-9_]`). */
export const BATCH_EVENT_TYPE_PATTERN = /^batch\.[a-z][a-z0-9_]{0,62}$/;
/** The most a batch event's `data` may take as JSON, so that the payload stays under 20 kB. */
export const MAX_BATCH_EVENT_DATA_BYTES = 16_000;

const batchEventType = z.string().regex(BATCH_EVENT_TYPE_PATTERN, {
  error: 'Expected a batch event type "batch.<name>" (lower-case letters, digits, "_")',
});

export const batchEventSchema = z.strictObject({
  v: z.literal(1),
  /** Stable per transition (at least once: receivers deduplicate on it); no dots. */
  id: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, {
    error: 'Expected an event id of 1 to 200 letters, digits, "_" or "-"',
  }),
  type: batchEventType,
  occurredAt: z.iso.datetime({ offset: true }),
  batch: z.strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, {
      error: 'Expected a batch id of letters, digits, "_" or "-" (1 to 128 characters)',
    }),
    owner: z.string().min(1).max(256),
    webhook: z.strictObject({ url: z.url(), events: z.array(batchEventType).min(1) }).nullable(),
  }),
  data: z
    .record(z.string(), z.unknown())
    .refine((data) => Buffer.byteLength(JSON.stringify(data)) <= MAX_BATCH_EVENT_DATA_BYTES, {
      error: `Expected batch event data of at most ${MAX_BATCH_EVENT_DATA_BYTES} bytes as JSON`,
    }),
});

export type BatchEvent = z.infer<typeof batchEventSchema>;

export interface BatchEventInput {
  readonly batchId: string;
  readonly owner: string;
  readonly webhook: { readonly url: string; readonly events: readonly string[] } | null;
  readonly type: string;
  /**
   * What makes this event unique within the batch and stable when it is published again (e.g.
   * the batch record's version that the transition wrote).
   */
  readonly sequence: number;
  readonly occurredAt: Date;
  /** What the receiver gets as `data` (counts, links); JSON, at most 16 kB. */
  readonly data: Readonly<Record<string, unknown>>;
}

/** `evt_<batchId>_<sequence>`. */
export function batchEventId(batchId: string, sequence: number): string {
  return `evt_${batchId}_${sequence}`;
}

/**
 * Builds and validates a batch event.
 * @throws ValidationError `INVALID_ARGUMENT` naming the field that does not fit.
 */
export function batchEventFor(input: BatchEventInput): BatchEvent {
  return parseMessage(
    batchEventSchema.parse,
    {
      v: 1,
      id: batchEventId(input.batchId, input.sequence),
      type: input.type,
      occurredAt: input.occurredAt.toISOString(),
      batch: {
        id: input.batchId,
        owner: input.owner,
        webhook:
          input.webhook === null
            ? null
            : { url: input.webhook.url, events: [...input.webhook.events] },
      },
      data: { ...input.data },
    },
    'the batch event',
  );
}

/** Publishes batch events to the events queue (for the batch feature). */
export interface BatchEventPublisher {
  publish(event: BatchEvent): Promise<void>;
}

/**
 * A publisher on the events queue, opened with `parseServiceEvent` (locally an FsJobQueue on the
 * events folder, in AWS an SqsJobQueue on VIBE_EVENTS_QUEUE_URL).
 */
export function createBatchEventPublisher(queue: {
  send(message: BatchEvent): Promise<void>;
}): BatchEventPublisher {
  return {
    publish: (event) =>
      queue.send(parseMessage(batchEventSchema.parse, event, 'the batch event to publish')),
  };
}
