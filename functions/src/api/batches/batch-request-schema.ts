import { z } from 'zod';
import { BATCH_EVENT_TYPES } from '#core/batches/batch-record.ts';
import { describeValue } from '#core/errors.ts';
import { MAX_OUTBOUND_URL_LENGTH } from '#core/net/outbound-url.ts';
import { jsonEditRequestSchema } from '../edit-request-schema.ts';

/**
 * The body of `POST /v1/batches`: inline `items` or a `manifest`, optional `defaults` and
 * `webhook`. The body is checked here as a whole; each item is checked on its own by the edit
 * request's own validation (parse-batch-items.ts), so that a broken item is reported with its
 * line and the others still run.
 */

/** Fields an item may take from `defaults` (everything of an edit but its image and lane). */
export const DEFAULT_FIELDS = [
  'instruction',
  'steps',
  'guidanceScale',
  'imageGuidanceScale',
  'seed',
  'sizeMode',
  'output',
  'deadline',
  'deadlineSeconds',
] as const;

const BODY_KEYS = ['items', 'manifest', 'defaults', 'webhook'] as const;

function unknownKeys(where: string, allowed: readonly string[]) {
  const list = allowed.map((key) => `"${key}"`).join(', ');
  return {
    error: (issue: z.core.$ZodRawIssue) =>
      issue.code === 'unrecognized_keys'
        ? `Expected only the fields ${list} in ${where} but received unknown ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`
        : `Expected ${where} to be an object with the fields ${list} but received ${describeValue(issue.input)}`,
  };
}

const eventList = BATCH_EVENT_TYPES.map((type) => `"${type}"`).join(', ');

export const batchWebhookRequestSchema = z.strictObject(
  {
    url: z
      .string({
        error: (issue) =>
          `Expected "webhook.url" to be a string but received ${describeValue(issue.input)}`,
      })
      .min(1, { error: 'Expected "webhook.url" to be a non-empty URL' })
      .max(MAX_OUTBOUND_URL_LENGTH, {
        error: `Expected "webhook.url" to have at most ${MAX_OUTBOUND_URL_LENGTH} characters`,
      }),
    events: z
      .array(
        z.enum(BATCH_EVENT_TYPES, {
          error: (issue) =>
            `Expected each of "webhook.events" to be one of ${eventList} but received ${describeValue(issue.input)}`,
        }),
      )
      .min(1, { error: `Expected "webhook.events" to name at least one of ${eventList}` })
      .optional(),
  },
  unknownKeys('"webhook"', ['url', 'events']),
);

/** The body as checked before the items are looked at. */
export function batchRequestSchema() {
  return z
    .strictObject(
      {
        items: z
          .array(z.unknown(), {
            error: (issue) =>
              `Expected "items" to be an array of edits but received ${describeValue(issue.input)}`,
          })
          .min(1, { error: 'Expected "items" to hold at least one edit but it is empty' })
          .optional(),
        manifest: z
          .strictObject(
            {
              uploadId: z.string({
                error: (issue) =>
                  `Expected "manifest.uploadId" to be a string but received ${describeValue(issue.input)}`,
              }),
            },
            unknownKeys('"manifest"', ['uploadId']),
          )
          .optional(),
        defaults: z
          .record(z.string(), z.unknown(), {
            error: (issue) =>
              `Expected "defaults" to be an object but received ${describeValue(issue.input)}`,
          })
          .optional(),
        webhook: batchWebhookRequestSchema.optional(),
      },
      unknownKeys('the request body', BODY_KEYS),
    )
    .superRefine((body, context) => {
      if ((body.items === undefined) === (body.manifest === undefined)) {
        context.addIssue({
          code: 'custom',
          message: `Expected exactly one of "items" (inline edits) or "manifest" (a JSONL upload) but received ${body.items === undefined ? 'neither' : 'both'}`,
        });
      }
      for (const key of Object.keys(body.defaults ?? {})) {
        if (!(DEFAULT_FIELDS as readonly string[]).includes(key)) {
          context.addIssue({
            code: 'custom',
            path: ['defaults', key],
            message: `Expected only the fields ${DEFAULT_FIELDS.map((k) => `"${k}"`).join(', ')} in "defaults" but received unknown ${JSON.stringify(key)}`,
          });
        }
      }
    });
}

export type BatchRequest = z.output<ReturnType<typeof batchRequestSchema>>;

/**
 * The same body for the OpenAPI document: items (and manifest lines) are edit requests without
 * `lane` (batch items run on the batch lane).
 */
export const batchRequestDocSchema = z
  .strictObject({
    items: z
      .array(jsonEditRequestSchema.omit({ lane: true }))
      .min(1)
      .optional(),
    manifest: z.strictObject({ uploadId: z.string() }).optional(),
    defaults: jsonEditRequestSchema
      .pick({
        instruction: true,
        steps: true,
        guidanceScale: true,
        imageGuidanceScale: true,
        seed: true,
        sizeMode: true,
        output: true,
        deadline: true,
        deadlineSeconds: true,
      })
      .optional(),
    webhook: batchWebhookRequestSchema.optional(),
  })
  .meta({
    description:
      'Exactly one of `items` (inline, up to 100) or `manifest` (a JSONL upload, up to 10,000 lines). Item fields override `defaults`.',
  });
