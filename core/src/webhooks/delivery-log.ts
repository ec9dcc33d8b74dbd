import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { JOB_ID_PATTERN } from '../jobs/job-record.ts';
import { serviceEventSchema, type WebhookSubject } from './service-event.ts';

/**
 * The webhook delivery log: per job (and per batch), every delivery (one per event) with its
 * attempts, status codes, errors, durations and the next attempt's time. The deliverer writes it,
 * the API reads it (`GET /v1/edits/{id}/webhook-deliveries`) and marks redeliveries. One JSON
 * document per subject, stored beside the job record: `jobs/<id>/webhook-deliveries.json` (S3
 * key, or the same path under the local data folder), `batches/<id>/webhook-deliveries.json`.
 */

/**
 * `pending` (claimed, first attempt under way), `retrying` (an attempt failed, another is
 * scheduled), `succeeded` (2xx), `failed` (given up without retrying: 410 Gone, or the URL is
 * refused by the outbound rules), `dead-lettered` (every attempt of the round failed; the event
 * went to the dead-letter queue).
 */
export const DELIVERY_STATUSES = [
  'pending',
  'retrying',
  'succeeded',
  'failed',
  'dead-lettered',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const ATTEMPT_OUTCOMES = ['succeeded', 'retry', 'failed', 'dead-lettered'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** Deliveries kept per subject (the oldest go first); a job has a handful, progress events aside. */
export const MAX_DELIVERIES_KEPT = 200;
/** Attempts kept per delivery (redeliveries add rounds of up to 8). */
export const MAX_ATTEMPTS_KEPT = 50;

const iso = z.iso.datetime({ offset: true });

export const deliveryAttemptSchema = z.strictObject({
  /** 1 for the first round, +1 per redelivery requested through the API. */
  round: z.int().min(1),
  /** Within the round, 1-based (the queue's receive count of the event). */
  attempt: z.int().min(1),
  at: iso,
  durationMs: z.int().min(0),
  /** The receiver's status, or null when no response came (timeout, refused, blocked). */
  statusCode: z.int().min(100).max(599).nullable(),
  error: z.strictObject({ reason: z.string().min(1), message: z.string() }).nullable(),
  outcome: z.enum(ATTEMPT_OUTCOMES),
  nextAttemptAt: iso.nullable(),
});

export const webhookDeliverySchema = z.strictObject({
  /** The event id, which is also the `webhook-id` header. */
  id: z.string().min(1).max(200),
  eventType: z.string().min(1),
  /** Origin and path of the target (a query string may carry the receiver's token). */
  url: z.string().min(1),
  status: z.enum(DELIVERY_STATUSES),
  round: z.int().min(1),
  /** The queue message that owns the current round; other copies of the event are duplicates. */
  messageId: z.string().min(1).nullable(),
  redeliveryRequestedAt: iso.nullable(),
  createdAt: iso,
  updatedAt: iso,
  nextAttemptAt: iso.nullable(),
  /** The event as queued, for redelivery. Not shown by the API. */
  event: serviceEventSchema,
  attempts: z.array(deliveryAttemptSchema).max(MAX_ATTEMPTS_KEPT),
});

export const deliveryLogSchema = z.strictObject({
  v: z.literal(1),
  subject: z.strictObject({ kind: z.enum(['edit', 'batch']), id: z.string().min(1) }),
  deliveries: z.array(webhookDeliverySchema).max(MAX_DELIVERIES_KEPT),
});

export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;
export type DeliveryLog = z.infer<typeof deliveryLogSchema>;

/**
 * A change to a subject's log. It receives the current document (undefined when there is none)
 * and returns the next one, or undefined to leave it as it is. It may run more than once when a
 * concurrent writer wins a race, so it must not have side effects.
 */
export type DeliveryLogMutation = (current: DeliveryLog | undefined) => DeliveryLog | undefined;

/** The delivery log port: local files (FsDeliveryLog) or S3 objects (S3DeliveryLog). */
export interface WebhookDeliveryLog {
  read(subject: WebhookSubject): Promise<DeliveryLog | undefined>;
  /**
   * Atomic read-modify-write: two writers of one subject never lose each other's changes.
   * Resolves with the document as it stands afterwards.
   * @throws DependencyError when the store fails or races are still lost after the retries.
   */
  update(subject: WebhookSubject, mutate: DeliveryLogMutation): Promise<DeliveryLog | undefined>;
}

/** The storage key of a subject's log; the id is checked, so a key never leaves its prefix. */
export function deliveryLogKey(subject: WebhookSubject): string {
  if (!JOB_ID_PATTERN.test(subject.id)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a ${subject.kind === 'edit' ? 'job' : 'batch'} id of letters, digits, "_" or "-" (1 to 128 characters) but received ${JSON.stringify(subject.id.slice(0, 40))}`,
    );
  }
  return `${subject.kind === 'edit' ? 'jobs' : 'batches'}/${subject.id}/webhook-deliveries.json`;
}

/** An empty log for `subject`. */
export function emptyDeliveryLog(subject: WebhookSubject): DeliveryLog {
  return { v: 1, subject: { kind: subject.kind, id: subject.id }, deliveries: [] };
}
