import { z } from 'zod';
import { jobIdSchema, jobRecordSchema, laneSchema } from '#core/jobs/job-record.ts';
import { JOB_STATUSES } from '#core/jobs/job-status.ts';
import { ERROR_CODES } from './error-catalog.ts';

/**
 * The shapes of the API's answers, for the OpenAPI document (the requests' schemas are the ones
 * that validate them, exported by their modules). They are built from core's job record schema
 * where the answer shows a part of the record. test/openapi parses real answers of the app with
 * these and requires the parse to keep every field, so an answer cannot grow an undocumented
 * field or lose a documented one without a test failing.
 */

const timestamp = z.iso.datetime({ offset: true });
const record = jobRecordSchema.shape;

export const editLinksSchema = z.object({
  self: z.string().meta({ description: 'GET this path for the edit.' }),
  cancel: z.string().meta({ description: 'POST to this path to cancel the edit.' }),
});

export const healthSchema = z
  .object({ status: z.literal('ok'), time: timestamp })
  .meta({ description: 'The API answers; no dependency is called.' });

export const editAcceptedSchema = z
  .object({
    id: jobIdSchema,
    status: z.enum(JOB_STATUSES),
    createdAt: timestamp,
    links: editLinksSchema,
  })
  .meta({ description: 'The edit was accepted and queued; poll `links.self`.' });

export const editSchema = z
  .object({
    id: jobIdSchema,
    status: z.enum(JOB_STATUSES),
    lane: laneSchema,
    instruction: z.string(),
    parameters: record.parameters.meta({
      description: 'The resolved parameters: the defaults applied.',
    }),
    input: z.object({
      width: z.int().min(1),
      height: z.int().min(1),
      format: record.input.shape.format,
    }),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    completedAt: timestamp.nullable(),
    attempts: record.attempts,
    deadline: record.deadline.meta({
      description: 'If the edit has not started by then it ends `expired` and never runs.',
    }),
    queue: z
      .object({
        position: z.int().min(1).meta({ description: '1 = next to run.' }),
        ahead: z.int().min(0),
        waiting: z.int().min(1),
      })
      .nullable()
      .meta({
        description:
          'Where a queued edit stands in its lane (an estimate); null when not queued or not known.',
      }),
    progress: record.progress.meta({
      description: 'The denoising step reached; null until the worker reports.',
    }),
    timings: z.object({
      queueMs: z.int().min(0).nullable(),
      inferenceMs: z.int().min(0).nullable(),
      totalMs: z.int().min(0).nullable(),
    }),
    error: record.error.meta({
      description: 'A stable code and a message for a failed, canceled or expired edit.',
    }),
    model: record.model.meta({
      description: '`synthetic` is true when a tiny test bundle ran instead of the real model.',
    }),
    output: z
      .object({
        url: z.string().meta({ description: 'A presigned GET URL, fresh on every read.' }),
        expiresAt: timestamp,
        width: z.int().min(1),
        height: z.int().min(1),
        format: record.input.shape.format,
      })
      .nullable()
      .meta({ description: 'Present once the edit succeeded.' }),
    links: editLinksSchema,
  })
  .meta({ description: 'An edit job as it stands.' });

export const cancelResultSchema = z.object({
  id: jobIdSchema,
  status: z.literal('canceled'),
  canceled: z.enum(['immediately', 'at-next-step']).meta({
    description:
      '`immediately`: it was queued and never runs. `at-next-step`: it was running and stops at its next denoising step.',
  }),
});

export const uploadTicketSchema = z.object({
  uploadId: z.string(),
  url: z.string().meta({ description: 'PUT the image bytes here, with `headers`.' }),
  method: z.literal('PUT'),
  headers: z.record(z.string(), z.string()),
  expiresAt: timestamp.meta({ description: 'When the PUT URL expires.' }),
  usableUntil: timestamp.meta({ description: 'Until when a submission may name the upload.' }),
  maxBytes: z.int().min(1),
});

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).meta({
        description: 'Stable; never parse `message`. The table is in the document description.',
      }),
      message: z.string().meta({
        description: 'What was expected, what arrived and what is allowed.',
      }),
      details: z.record(z.string(), z.unknown()).optional(),
      requestId: z.string(),
    }),
  })
  .meta({ description: 'The one error body of the API.' });
