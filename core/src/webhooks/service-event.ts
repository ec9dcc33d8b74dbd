import { z } from 'zod';
import { type JobEvent, jobEventSchema } from '../jobs/job-event.ts';
import { type BatchEvent, batchEventSchema } from './batch-event.ts';

/** Everything on the events queue: job events (worker, API) and batch events (batch feature). */
export type ServiceEvent = JobEvent | BatchEvent;

/** Either kind of event (the union parses strict objects, so the kinds never mix). */
export const serviceEventSchema = z.union([jobEventSchema, batchEventSchema]);

/** Whose deliveries an event belongs to: the delivery log is kept per job and per batch. */
export interface WebhookSubject {
  readonly kind: 'edit' | 'batch';
  readonly id: string;
}

/** A webhook subscription as stored with a job or a batch. */
export interface WebhookTarget {
  readonly url: string;
  readonly events: readonly string[];
}

/** The MessageParser of the events queue for the deliverer: a job event or a batch event. */
export function parseServiceEvent(value: unknown): ServiceEvent {
  if (typeof value === 'object' && value !== null && 'batch' in value) {
    return batchEventSchema.parse(value);
  }
  return jobEventSchema.parse(value);
}

export function isBatchEvent(event: ServiceEvent): event is BatchEvent {
  return 'batch' in event;
}

export function subjectOf(event: ServiceEvent): WebhookSubject {
  return isBatchEvent(event)
    ? { kind: 'batch', id: event.batch.id }
    : { kind: 'edit', id: event.job.id };
}

export function targetOf(event: ServiceEvent): WebhookTarget | null {
  return isBatchEvent(event) ? event.batch.webhook : event.job.webhook;
}

/** The owner of the job or batch (API key id). */
export function ownerOf(event: ServiceEvent): string {
  return isBatchEvent(event) ? event.batch.owner : event.job.owner;
}
