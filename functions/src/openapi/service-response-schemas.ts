import { z } from 'zod';
import {
  BATCH_STATUSES,
  batchIdSchema,
  batchWebhookSchema,
  ITEM_STATUSES,
  itemCountsSchema,
  lineErrorSchema,
} from '#core/batches/batch-record.ts';
import { jobEventTypeSchema, jobIdSchema, jobRecordSchema } from '#core/jobs/job-record.ts';
import { apiKeyRecordSchema } from '#core/keys/api-key.ts';
import { deliveryAttemptSchema, webhookDeliverySchema } from '#core/webhooks/delivery-log.ts';

/**
 * The answers of the batch, webhook-delivery and key-admin routes, for the OpenAPI document, built
 * from core's record schemas (see response-schemas.ts for how they are kept true).
 */

const timestamp = z.iso.datetime({ offset: true });
const links = z.object({ self: z.string(), cancel: z.string() });
const counts = z.object({ total: z.int().min(0), ...itemCountsSchema.shape });
const lineErrors = z
  .object({ count: z.int().min(0), items: z.array(lineErrorSchema) })
  .meta({ description: 'Lines refused at submission: the count, and the first ones in full.' });
const output = jobRecordSchema.shape.output.unwrap();

export const batchAcceptedSchema = z
  .object({
    id: batchIdSchema,
    status: z.enum(BATCH_STATUSES),
    createdAt: timestamp,
    items: z.int().min(1).meta({ description: 'Items (lines) in the request.' }),
    accepted: z.int().min(0).meta({ description: 'Items that passed the checks and will run.' }),
    lineErrors,
    links,
  })
  .meta({ description: 'The batch was created; its items fan out to the batch lane.' });

export const batchItemSchema = z.object({
  line: z.int().min(1).meta({ description: '1-based line of the manifest (or item position).' }),
  id: jobIdSchema.nullable().meta({ description: 'The edit of this item, once it exists.' }),
  status: z.enum(ITEM_STATUSES),
  error: jobRecordSchema.shape.error,
  output: z
    .object({
      url: z.string(),
      expiresAt: timestamp,
      width: output.shape.width,
      height: output.shape.height,
      format: output.shape.format,
    })
    .nullable(),
  links: z.object({ self: z.string() }).nullable(),
});

export const batchSchema = z
  .object({
    id: batchIdSchema,
    status: z.enum(BATCH_STATUSES),
    source: z.enum(['inline', 'manifest']),
    createdAt: timestamp,
    fannedOutAt: timestamp.nullable(),
    canceledAt: timestamp.nullable(),
    completedAt: timestamp.nullable(),
    counts,
    lineErrors,
    webhook: batchWebhookSchema.nullable(),
    results: z
      .object({ url: z.string(), expiresAt: timestamp, items: z.int().min(1) })
      .nullable()
      .meta({
        description:
          'The results manifest (JSONL, one line per item with its output URL or error), once every item has ended.',
      }),
    items: z.array(batchItemSchema).meta({ description: 'One page of items, in line order.' }),
    nextCursor: z.string().nullable(),
    links: z.object({ self: z.string(), cancel: z.string(), next: z.string().optional() }),
  })
  .meta({ description: 'A batch: its counts by item state and one page of its items.' });

export const batchCancelResultSchema = z.object({
  id: batchIdSchema,
  status: z.literal('canceled'),
  canceled: z.object({
    pending: z.int().min(0),
    queued: z.int().min(0),
    running: z.int().min(0),
  }),
  complete: z.boolean().meta({
    description: 'False when the rest is left to background tasks; no new item starts either way.',
  }),
  counts,
  links,
});

const delivery = webhookDeliverySchema.shape;

export const webhookDeliverySchemaView = z.object({
  id: delivery.id.meta({ description: 'The `webhook-id` of the event.' }),
  eventType: delivery.eventType,
  url: delivery.url,
  status: delivery.status,
  round: delivery.round.meta({ description: 'Raised by each redeliver call.' }),
  createdAt: timestamp,
  updatedAt: timestamp,
  nextAttemptAt: timestamp.nullable(),
  redeliveryRequestedAt: timestamp.nullable(),
  attempts: z.array(deliveryAttemptSchema),
  links: z.object({ redeliver: z.string() }),
});

export const webhookDeliveriesSchema = z
  .object({
    id: jobIdSchema,
    webhook: z.object({ events: z.array(jobEventTypeSchema) }).nullable(),
    deliveries: z.array(webhookDeliverySchemaView).meta({ description: 'Newest first.' }),
  })
  .meta({ description: 'The webhook delivery log of an edit.' });

export const apiKeySchema = apiKeyRecordSchema
  .omit({ secretHash: true, gateway: true })
  .extend({
    plan: z.string().nullable().meta({
      description:
        "The API Gateway usage plan that enforces the key's rate (AWS); null where the API enforces it.",
    }),
  })
  .meta({ description: 'An API key as admins see it: never its secret or its hash.' });

export const apiKeyListSchema = z.object({ keys: z.array(apiKeySchema) });

export const createdKeySchema = z.object({
  key: apiKeySchema,
  token: z.string().meta({ description: '`vibe_<id>_<secret>`: shown once, never again.' }),
});

export const revokedKeySchema = z.object({ key: apiKeySchema });
