/**
 * For services that receive VIBE's webhooks: verify a delivery's Standard Webhooks signature
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature`; `whsec_` secrets, several during a
 * rotation) against the raw body, and the shapes of the payloads and of the delivery log.
 * The verification is core's, re-exported, so the sender and the receiver share one
 * implementation.
 */
export {
  DEFAULT_TOLERANCE_SECONDS,
  type VerifiedWebhook,
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookHeaderInput,
  WebhookVerificationError,
  type WebhookVerificationReason,
} from '#core/webhooks/verify-webhook.ts';
export type { WebhookPayload } from '#core/webhooks/webhook-payload.ts';

/** Events an edit's webhook can subscribe to. */
export type EditEventType =
  | 'edit.queued'
  | 'edit.running'
  | 'edit.progress'
  | 'edit.succeeded'
  | 'edit.failed'
  | 'edit.canceled'
  | 'edit.expired';

/** The `webhook` of a submission; without `events`: how the edit ended. */
export interface WebhookRequest {
  /** https only in production; private and metadata addresses are refused. */
  readonly url: string;
  readonly events?: readonly EditEventType[];
}

export type DeliveryStatus = 'pending' | 'retrying' | 'succeeded' | 'failed' | 'dead-lettered';

export interface DeliveryAttempt {
  readonly round: number;
  readonly attempt: number;
  readonly at: string;
  readonly durationMs: number;
  /** The receiver's HTTP status; null when it did not answer. */
  readonly statusCode: number | null;
  readonly error: { readonly reason: string; readonly message: string } | null;
  readonly outcome: 'succeeded' | 'retry' | 'failed' | 'dead-lettered';
  readonly nextAttemptAt: string | null;
}

/** One delivery (one event) of the log, with its attempts. */
export interface WebhookDelivery {
  /** The `webhook-id` the receiver saw. */
  readonly id: string;
  readonly eventType: string;
  readonly url: string;
  readonly status: DeliveryStatus;
  readonly round: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly nextAttemptAt: string | null;
  readonly redeliveryRequestedAt: string | null;
  readonly attempts: readonly DeliveryAttempt[];
  readonly links: { readonly redeliver: string };
}

/** `GET /v1/edits/{id}/webhook-deliveries`. */
export interface WebhookDeliveries {
  readonly id: string;
  readonly webhook: { readonly events: readonly string[] } | null;
  /** Newest first. */
  readonly deliveries: readonly WebhookDelivery[];
}
