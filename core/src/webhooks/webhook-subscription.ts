import { z } from 'zod';
import { describeValue, ValidationError } from '../errors.ts';
import { JOB_EVENT_TYPES, type JobEventType } from '../jobs/job-record.ts';
import {
  MAX_OUTBOUND_URL_LENGTH,
  type OutboundUrlPolicy,
  requireOutboundUrl,
} from '../net/outbound-url.ts';

/**
 * The `webhook` field of a submission: where to POST and which events. Without `events` a job
 * reports how it ended (`edit.succeeded`, `edit.failed`, `edit.canceled`, `edit.expired`).
 */
export const DEFAULT_WEBHOOK_EVENTS: readonly JobEventType[] = [
  'edit.succeeded',
  'edit.failed',
  'edit.canceled',
  'edit.expired',
];

const list = JOB_EVENT_TYPES.map((type) => `"${type}"`).join(', ');

/** The request shape (structure only; the URL rules are applied by resolveWebhookSubscription). */
export const webhookRequestSchema = z.strictObject(
  {
    url: z
      .string({
        error: (issue) =>
          `Expected "webhook.url" to be a string but received ${describeValue(issue.input)}`,
      })
      .min(1, {
        error: 'Expected "webhook.url" to be a non-empty URL but received an empty string',
      })
      .max(MAX_OUTBOUND_URL_LENGTH, {
        error: (issue) =>
          `Expected "webhook.url" to have at most ${MAX_OUTBOUND_URL_LENGTH} characters but received ${String((issue.input as string).length)}`,
      }),
    events: z
      .array(
        z.enum(JOB_EVENT_TYPES, {
          error: (issue) =>
            `Expected each of "webhook.events" to be one of ${list} but received ${describeValue(issue.input)}`,
        }),
        {
          error: (issue) =>
            `Expected "webhook.events" to be an array of event types but received ${describeValue(issue.input)}`,
        },
      )
      .min(1, {
        error: `Expected "webhook.events" to name at least one of ${list} (or leave it out)`,
      })
      .max(JOB_EVENT_TYPES.length, {
        error: `Expected "webhook.events" to name each event type at most once`,
      })
      .optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `Expected only the fields "url" and "events" in "webhook" but received ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`
        : `Expected "webhook" to be an object { "url", "events"? } but received ${describeValue(issue.input)}`,
  },
);

export type WebhookRequest = z.output<typeof webhookRequestSchema>;

/** What the job record stores (`JobRecord.webhook`). */
export interface WebhookSubscription {
  readonly url: string;
  readonly events: JobEventType[];
}

/**
 * Applies the outbound URL rules (https, no credentials, allowed port, no blocked address or
 * local-only name: core/src/net/outbound-url.ts) and the default events.
 * @throws ValidationError `INVALID_ARGUMENT` (400) with `details.field` `webhook.url` and
 *   `details.reason`, or for a repeated event type.
 */
export function resolveWebhookSubscription(
  request: WebhookRequest,
  policy: OutboundUrlPolicy = {},
): WebhookSubscription {
  const url = requireOutboundUrl(request.url, 'webhook.url', policy);
  const events = request.events ?? [...DEFAULT_WEBHOOK_EVENTS];
  const repeated = events.find((type, index) => events.indexOf(type) !== index);
  if (repeated !== undefined) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "webhook.events" to name each event type once but "${repeated}" is repeated`,
      { details: { field: 'webhook.events', repeated } },
    );
  }
  return { url: url.href, events: [...events] };
}
