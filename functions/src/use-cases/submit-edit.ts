import { ConflictError } from '#core/errors.ts';
import { jobEventFor } from '#core/jobs/job-event.ts';
import type { JobMessage } from '#core/jobs/job-message.ts';
import type { JobRecord, NewJobRecord } from '#core/jobs/job-record.ts';
import { imageContentType, inputKey } from '#core/jobs/storage-keys.ts';
import { resolveWebhookSubscription } from '#core/webhooks/webhook-subscription.ts';
import type { ApiContext } from '../api/api-context.ts';
import type { Caller, JobReservation } from '../api/auth/access-control.ts';
import { describeError } from '../api/http-errors.ts';
import { type InspectedImage, inspectImage } from '../api/image-inspection.ts';
import type { EditSubmission } from '../api/parse-edit-request.ts';
import { resolveDeadline } from '../api/waiting/job-deadline.ts';
import { resolveImageBytes } from './resolve-image.ts';

/** Options of submitEdit for the batch fan-out (api/batches/fan-out-chunk.ts). */
export interface SubmitOptions {
  /**
   * The job's id, chosen by the caller instead of drawn (a batch item's `<batchId>-<line>`), so
   * that a retried submission finds its job. With it, a failed message send leaves the record
   * `queued` for the retry, and an existing job (ConflictError) keeps its input.
   */
  readonly jobId?: string;
  readonly batchId?: string;
}

/**
 * Accepts an edit: resolve and check the image, then write in the one order that never leaves a
 * queued message without its record (DESIGN §2):
 *
 * 1. the input image under `inputs/<id>`;
 * 2. the job record, `queued`;
 * 3. the job message on the lane's queue.
 *
 * A failure at any step undoes what was written before it (best effort, logged) and is rethrown, so
 * the caller answers 503 (DependencyError) or 500 and the client, who never saw the id, submits
 * again. A record whose message could not be sent is moved to `canceled` with the error code
 * DEPENDENCY_UNAVAILABLE (the state machine has no `queued -> failed` edge): if the send did land
 * after all, the worker skips the canceled record. Once the message is sent the job is accepted;
 * nothing after that can fail the request.
 */
export async function submitEdit(
  ctx: ApiContext,
  submission: EditSubmission,
  caller: {
    readonly requestId: string;
    readonly owner: string;
    /** The authenticated caller, whose key's concurrency and quota the job takes. */
    readonly caller?: Caller;
    /** Stored in the record (the API answers replays from its idempotency store). */
    readonly idempotencyKey?: string | undefined;
  },
  options: SubmitOptions = {},
): Promise<JobRecord> {
  const { requestId, owner } = caller;
  const deadline = resolveDeadline(
    submission.deadline,
    ctx.clock.now(),
    ctx.config.waiting.maxDeadlineSeconds,
  );
  // A webhook URL its text alone condemns is refused before any image is fetched.
  const webhook =
    submission.webhook === undefined
      ? null
      : resolveWebhookSubscription(submission.webhook, ctx.outbound);
  const sizeMode = submission.parameters.sizeMode ?? ctx.config.defaults.sizeMode;
  const bytes = await resolveImageBytes(ctx, submission.image, owner);
  const image = await inspectImage(
    bytes,
    { maxBytes: ctx.config.limits.maxImageBytes, maxInputPixels: ctx.config.limits.maxInputPixels },
    { autoOrient: sizeMode === 'aligned' },
  );

  const id = options.jobId ?? ctx.ids.jobId();
  const key = inputKey(id);
  const job = {
    ...buildJob(ctx, submission, { id, key, owner }, image),
    deadline,
    idempotencyKey: caller.idempotencyKey ?? null,
    batchId: options.batchId ?? null,
    webhook,
  };
  // Concurrency and quota of the key are held before anything is written, given back on failure.
  const reservation: JobReservation = await ctx.access.reserveJobs(
    caller.caller ?? { owner, key: undefined },
    [{ id, lane: job.lane }],
    requestId,
  );
  try {
    await ctx.dependency('blob store put', () =>
      ctx.blobs.put(key, bytes, { contentType: imageContentType(image.format) }),
    );
  } catch (error) {
    await reservation.release();
    throw error;
  }
  let record: JobRecord;
  try {
    record = await ctx.dependency('job store create', () => ctx.jobs.create(job));
  } catch (error) {
    // With a caller's own id, a conflict means its job exists: the input is that job's.
    if (!(options.jobId !== undefined && error instanceof ConflictError)) {
      await removeInput(ctx, key, requestId);
    }
    await reservation.release();
    throw error;
  }
  const message: JobMessage = { v: 1, jobId: id, lane: job.lane, traceId: requestId };
  try {
    await ctx.dependency('queue send', () => ctx.queues[job.lane].send(message));
  } catch (error) {
    // A caller with its own id retries with it: the record stays queued for that retry to send.
    if (options.jobId === undefined) await withdraw(ctx, record, error, requestId);
    await reservation.release();
    throw error;
  }
  await publishEvent(ctx, record, requestId);
  return record;
}

function buildJob(
  ctx: ApiContext,
  submission: EditSubmission,
  { id, key, owner }: { readonly id: string; readonly key: string; readonly owner: string },
  image: InspectedImage,
): NewJobRecord {
  const { defaults } = ctx.config;
  const given = submission.parameters;
  const format = given.output?.format ?? defaults.outputFormat;
  const quality = given.output?.quality;
  return {
    id,
    owner,
    lane: submission.lane ?? defaults.lane,
    instruction: submission.instruction,
    parameters: {
      steps: given.steps ?? defaults.steps,
      guidanceScale: given.guidanceScale ?? defaults.guidanceScale,
      imageGuidanceScale: given.imageGuidanceScale ?? defaults.imageGuidanceScale,
      seed: given.seed ?? defaults.seed,
      sizeMode: given.sizeMode ?? defaults.sizeMode,
      output: quality === undefined ? { format } : { format, quality },
    },
    input: {
      key,
      width: image.width,
      height: image.height,
      format: image.format,
      sha256: image.sha256,
    },
    output: null,
    timestamps: {
      createdAt: new Date(ctx.clock.now()).toISOString(),
      startedAt: null,
      completedAt: null,
    },
    attempts: 0,
    progress: null,
    metrics: null,
    error: null,
    model: ctx.config.model,
    webhook: null,
    idempotencyKey: null,
    batchId: null,
    deadline: null,
    status: 'queued',
  };
}

async function removeInput(ctx: ApiContext, key: string, requestId: string): Promise<void> {
  try {
    await ctx.dependency('blob store delete', () => ctx.blobs.delete(key));
  } catch (error) {
    // The orphaned input has no record and no message; nothing will read it.
    ctx.log({
      level: 'warn',
      msg: 'orphaned input blob',
      requestId,
      key,
      error: describeError(error),
    });
  }
}

async function withdraw(
  ctx: ApiContext,
  record: JobRecord,
  sendError: unknown,
  requestId: string,
): Promise<void> {
  const now = new Date(ctx.clock.now()).toISOString();
  try {
    await ctx.dependency('job store update', () =>
      ctx.jobs.update(
        record.id,
        (job) => ({
          ...job,
          status: 'canceled',
          timestamps: { ...job.timestamps, completedAt: now },
          error: {
            code: 'DEPENDENCY_UNAVAILABLE',
            message:
              'The job message could not be queued; the submission was answered 503 and the job was never accepted',
          },
        }),
        { expectedVersion: record.version },
      ),
    );
  } catch (error) {
    // The record stays `queued` without a message: no client holds its id and no worker will
    // receive it. Logged so that an operator (or a future sweeper) can close it.
    ctx.log({
      level: 'error',
      msg: 'job record left queued without a message',
      requestId,
      jobId: record.id,
      error: describeError(error),
      sendError: describeError(sendError),
    });
    return;
  }
  await removeInput(ctx, record.input.key, requestId);
}

/** Publishes the API's own state change; the job is accepted whether or not this succeeds. */
export async function publishEvent(
  ctx: ApiContext,
  record: JobRecord,
  requestId: string,
): Promise<void> {
  const events = ctx.events;
  if (events === undefined) return;
  const event = jobEventFor(record, new Date(ctx.clock.now()));
  try {
    await ctx.dependency('event publish', () => events.publish(event));
  } catch (error) {
    ctx.log({
      level: 'error',
      msg: 'job event not published',
      requestId,
      jobId: record.id,
      eventId: event.id,
      error: describeError(error),
    });
  }
}
