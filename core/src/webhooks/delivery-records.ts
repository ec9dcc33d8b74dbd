import { NotFoundError } from '../errors.ts';
import {
  type DeliveryAttempt,
  type DeliveryLog,
  type DeliveryStatus,
  emptyDeliveryLog,
  MAX_ATTEMPTS_KEPT,
  MAX_DELIVERIES_KEPT,
  type WebhookDelivery,
} from './delivery-log.ts';
import type { ServiceEvent, WebhookSubject } from './service-event.ts';

/**
 * The pure changes the deliverer and the API make to a delivery log. The events queue delivers at
 * least once, so the same event can arrive as several messages; the log decides which message
 * owns a delivery round and which copies are duplicates.
 */

/**
 * What the deliverer does with a received event:
 * - `deliver`: send an attempt (a new delivery, the owning message again, or a requested
 *   redelivery that starts a new round);
 * - `duplicate`: another message owns this delivery; drop this copy;
 * - `finished`: the owning message came back after its round ended (it is acked, or released
 *   once more to reach the dead-letter queue).
 */
export type Claim = 'deliver' | 'duplicate' | 'finished';

const FINAL: ReadonlySet<DeliveryStatus> = new Set(['succeeded', 'failed', 'dead-lettered']);

export interface ClaimInput {
  readonly subject: WebhookSubject;
  readonly event: ServiceEvent;
  /** Origin and path of the target. */
  readonly url: string;
  /** The queue message carrying the event (stable across its receives). */
  readonly messageId: string;
  readonly now: Date;
}

export interface ClaimResult {
  /** The document to write, or undefined when nothing changes. */
  readonly log: DeliveryLog | undefined;
  readonly claim: Claim;
  readonly delivery: WebhookDelivery;
}

export function claimDelivery(current: DeliveryLog | undefined, input: ClaimInput): ClaimResult {
  const log = current ?? emptyDeliveryLog(input.subject);
  const at = input.now.toISOString();
  const existing = log.deliveries.find((delivery) => delivery.id === input.event.id);
  if (existing === undefined) {
    const delivery: WebhookDelivery = {
      id: input.event.id,
      eventType: input.event.type,
      url: input.url,
      status: 'pending',
      round: 1,
      messageId: input.messageId,
      redeliveryRequestedAt: null,
      createdAt: at,
      updatedAt: at,
      nextAttemptAt: null,
      event: input.event,
      attempts: [],
    };
    const deliveries = [...log.deliveries, delivery].slice(-MAX_DELIVERIES_KEPT);
    return { log: { ...log, deliveries }, claim: 'deliver', delivery };
  }
  if (existing.messageId === input.messageId) {
    return {
      log: undefined,
      claim: FINAL.has(existing.status) ? 'finished' : 'deliver',
      delivery: existing,
    };
  }
  if (existing.redeliveryRequestedAt !== null) {
    const delivery: WebhookDelivery = {
      ...existing,
      status: 'pending',
      round: existing.round + 1,
      messageId: input.messageId,
      redeliveryRequestedAt: null,
      updatedAt: at,
      nextAttemptAt: null,
    };
    return { log: replace(log, delivery), claim: 'deliver', delivery };
  }
  return { log: undefined, claim: 'duplicate', delivery: existing };
}

export interface AttemptRecord {
  readonly eventId: string;
  readonly messageId: string;
  readonly attempt: DeliveryAttempt;
}

/**
 * Appends an attempt and moves the delivery to the status its outcome means. An attempt of a
 * message that no longer owns the delivery (a redelivery took over meanwhile) is kept in the
 * history without changing the status.
 */
export function recordAttempt(
  current: DeliveryLog | undefined,
  record: AttemptRecord,
): DeliveryLog | undefined {
  const existing = current?.deliveries.find((delivery) => delivery.id === record.eventId);
  if (current === undefined || existing === undefined) return undefined;
  const attempts = [...existing.attempts, record.attempt].slice(-MAX_ATTEMPTS_KEPT);
  const owns = existing.messageId === record.messageId;
  const delivery: WebhookDelivery = owns
    ? {
        ...existing,
        attempts,
        status: statusAfter(record.attempt),
        nextAttemptAt: record.attempt.nextAttemptAt,
        updatedAt: record.attempt.at,
      }
    : { ...existing, attempts, updatedAt: record.attempt.at };
  return replace(current, delivery);
}

function statusAfter(attempt: DeliveryAttempt): DeliveryStatus {
  switch (attempt.outcome) {
    case 'succeeded':
      return 'succeeded';
    case 'retry':
      return 'retrying';
    case 'failed':
      return 'failed';
    case 'dead-lettered':
      return 'dead-lettered';
  }
}

/**
 * Marks a delivery for redelivery: the next message carrying its event starts a new round (the
 * API publishes that message right after).
 * @throws NotFoundError when the subject has no delivery `deliveryId`.
 */
export function requestRedelivery(
  current: DeliveryLog | undefined,
  subject: WebhookSubject,
  deliveryId: string,
  now: Date,
): { log: DeliveryLog; delivery: WebhookDelivery } {
  const existing = current?.deliveries.find((delivery) => delivery.id === deliveryId);
  if (current === undefined || existing === undefined) {
    throw new NotFoundError(
      `Expected the id of a webhook delivery of ${subject.kind === 'edit' ? 'job' : 'batch'} ${subject.id} but there is no delivery ${JSON.stringify(deliveryId.slice(0, 200))}; list them with GET .../webhook-deliveries`,
      { details: { deliveryId: deliveryId.slice(0, 200) } },
    );
  }
  const delivery: WebhookDelivery = {
    ...existing,
    redeliveryRequestedAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  return { log: replace(current, delivery), delivery };
}

function replace(log: DeliveryLog, delivery: WebhookDelivery): DeliveryLog {
  return {
    ...log,
    deliveries: log.deliveries.map((existing) =>
      existing.id === delivery.id ? delivery : existing,
    ),
  };
}
