import type { SignedUrl } from '../ports.ts';
import { isBatchEvent, type ServiceEvent } from './service-event.ts';

/**
 * The JSON body of a delivery (Standard Webhooks: `type`, `timestamp`, `data`). It links to the
 * output image instead of embedding it, so payloads stay small (well under 20 kB).
 */
export interface WebhookPayload {
  /** e.g. `edit.succeeded`, `edit.progress`, `batch.completed`. */
  readonly type: string;
  /** When the event happened (ISO 8601), not when this attempt was sent. */
  readonly timestamp: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * The payload of `event`. For a succeeded edit, `output` is a presigned download URL made for
 * this attempt (an attempt hours later gets a fresh one).
 */
export function webhookPayloadFor(event: ServiceEvent, output?: SignedUrl): WebhookPayload {
  if (isBatchEvent(event)) {
    return {
      type: event.type,
      timestamp: event.occurredAt,
      data: { id: event.batch.id, ...event.data },
    };
  }
  const { job } = event;
  const self = `/v1/edits/${encodeURIComponent(job.id)}`;
  return {
    type: event.type,
    timestamp: event.occurredAt,
    data: {
      id: job.id,
      status: job.status,
      lane: job.lane,
      batchId: job.batchId,
      attempts: job.attempts,
      progress: job.progress ?? null,
      error: job.error,
      model: job.model,
      metrics: job.metrics,
      output:
        job.output === null || output === undefined
          ? null
          : {
              url: output.url,
              expiresAt: output.expiresAt.toISOString(),
              width: job.output.width,
              height: job.output.height,
              format: job.output.format,
            },
      links: { self, webhookDeliveries: `${self}/webhook-deliveries` },
    },
  };
}
