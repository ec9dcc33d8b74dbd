import { describeUrl } from '#core/net/outbound-url.ts';
import type { BlobStore, SignedUrl } from '#core/ports.ts';
import type {
  AttemptOutcome,
  DeliveryAttempt,
  WebhookDeliveryLog,
} from '#core/webhooks/delivery-log.ts';
import { type Claim, claimDelivery, recordAttempt } from '#core/webhooks/delivery-records.ts';
import {
  retryDelaySeconds,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_RETRY_DELAYS_SECONDS,
} from '#core/webhooks/retry-schedule.ts';
import {
  isBatchEvent,
  type ServiceEvent,
  subjectOf,
  targetOf,
} from '#core/webhooks/service-event.ts';
import type { SigningSecretSource } from '#core/webhooks/signing-secrets.ts';
import { webhookPayloadFor } from '#core/webhooks/webhook-payload.ts';
import { signWebhook } from '#core/webhooks/webhook-signature.ts';
import type { LogSink } from '../api/api-types.ts';
import type { PostResult, WebhookPoster } from './webhook-poster.ts';

/** The wait of an event that came back after its round ended (see deliverEvent). */
const FINISHED_RELEASE_SECONDS = 300;

/** What the deliverer needs; the same for the local loop and the Lambda handler. */
export interface DelivererDeps {
  readonly log: WebhookDeliveryLog;
  readonly post: WebhookPoster;
  readonly secrets: SigningSecretSource;
  /** Presigns the output of a succeeded edit for the payload; without it no URL is sent. */
  readonly blobs?: Pick<BlobStore, 'signedDownloadUrl'> | undefined;
  /** Lifetime of that URL. @default 3600 */
  readonly outputUrlTtlSeconds?: number | undefined;
  /** @default Date.now */
  readonly now?: (() => number) | undefined;
  /** Jitter source, uniform in [0, 1). @default Math.random */
  readonly random?: (() => number) | undefined;
  /** Attempts per round; must equal the events queue's maxReceiveCount. @default 8 */
  readonly maxAttempts?: number | undefined;
  /** Waits after failed attempts 1, 2, ... @default WEBHOOK_RETRY_DELAYS_SECONDS */
  readonly delays?: readonly number[] | undefined;
  /** @default nothing is logged */
  readonly logSink?: LogSink | undefined;
}

/** One received event: a queue lease, or an SQS record in the Lambda. */
export interface ReceivedEvent {
  /** Stable across the receives of one message. */
  readonly messageId: string;
  readonly message: ServiceEvent;
  /** The queue's receive count (1 on the first receive). */
  readonly attempt: number;
}

/**
 * What to do with the message: `ack` (done: delivered, refused for good, not subscribed, or a
 * duplicate) or `release` after a delay (a retry, or with 0 the last step to the dead-letter
 * queue: the next receive passes maxReceiveCount and the queue's redrive moves the event there).
 */
export type DeliveryDecision =
  | {
      readonly action: 'ack';
      readonly why: 'not-subscribed' | 'duplicate' | 'succeeded' | 'failed' | 'finished';
    }
  | {
      readonly action: 'release';
      readonly delaySeconds: number;
      readonly why: 'retry' | 'dead-letter';
    };

/**
 * Delivers one received event: filters by the subscription, claims the delivery in the log (so
 * that duplicate copies of an event are dropped), signs the payload with every key, POSTs it once
 * and records the attempt (status code or error, duration, next attempt). A 2xx succeeds; 410 and
 * a URL the outbound rules refuse fail for good; anything else is retried on the schedule until
 * the round's last attempt, which dead-letters the event.
 * @throws DependencyError when the log or the secret store fails (the message comes back later).
 */
export async function deliverEvent(
  received: ReceivedEvent,
  deps: DelivererDeps,
): Promise<DeliveryDecision> {
  const event = received.message;
  const target = targetOf(event);
  if (target === null || !target.events.includes(event.type)) {
    return { action: 'ack', why: 'not-subscribed' };
  }
  const now = deps.now ?? Date.now;
  const subject = subjectOf(event);
  const maxAttempts = deps.maxAttempts ?? WEBHOOK_MAX_ATTEMPTS;
  let claim = 'duplicate' as Claim;
  let round = 1;
  await deps.log.update(subject, (current) => {
    const result = claimDelivery(current, {
      subject,
      event,
      url: describeUrl(new URL(target.url)),
      messageId: received.messageId,
      now: new Date(now()),
    });
    claim = result.claim;
    round = result.delivery.round;
    return result.log;
  });
  if (claim === 'duplicate') return { action: 'ack', why: 'duplicate' };
  if (claim === 'finished') {
    // Past the last attempt only when the queue's maxReceiveCount exceeds the attempts: keep
    // releasing, slowly, until the redrive takes the event (never a hot loop).
    return received.attempt > maxAttempts
      ? { action: 'release', delaySeconds: FINISHED_RELEASE_SECONDS, why: 'dead-letter' }
      : { action: 'ack', why: 'finished' };
  }
  if (received.attempt > maxAttempts) {
    // The queue allows more receives than the schedule has attempts: end the round here.
    await record(deps, received, {
      round,
      attempt: received.attempt,
      at: new Date(now()).toISOString(),
      durationMs: 0,
      statusCode: null,
      error: {
        reason: 'attempts-exhausted',
        message: `All ${maxAttempts} attempts of the round failed`,
      },
      outcome: 'dead-lettered',
      nextAttemptAt: null,
    });
    return { action: 'release', delaySeconds: 0, why: 'dead-letter' };
  }

  const keys = await deps.secrets.keys();
  const body = JSON.stringify(webhookPayloadFor(event, await outputUrl(event, deps)));
  const sentAt = now();
  const headers = signWebhook({ id: event.id, timestamp: Math.floor(sentAt / 1000), body }, keys);
  const result = await deps.post(target.url, body, headers);
  const { outcome, delaySeconds } = judge(result, received.attempt, maxAttempts, deps);
  const nextAttemptAt =
    outcome === 'retry' && delaySeconds !== undefined
      ? new Date(now() + delaySeconds * 1000).toISOString()
      : null;
  await record(deps, received, {
    round,
    attempt: received.attempt,
    at: new Date(sentAt).toISOString(),
    durationMs: result.durationMs,
    statusCode: result.statusCode,
    error: result.error,
    outcome,
    nextAttemptAt,
  });
  deps.logSink?.({
    level: outcome === 'succeeded' ? 'info' : 'warn',
    msg: `webhook attempt ${outcome}`,
    eventId: event.id,
    eventType: event.type,
    attempt: received.attempt,
    round,
    statusCode: result.statusCode,
    error: result.error,
    nextAttemptAt,
  });
  switch (outcome) {
    case 'succeeded':
      return { action: 'ack', why: 'succeeded' };
    case 'failed':
      return { action: 'ack', why: 'failed' };
    case 'retry':
      return { action: 'release', delaySeconds: delaySeconds ?? 0, why: 'retry' };
    case 'dead-lettered':
      return { action: 'release', delaySeconds: 0, why: 'dead-letter' };
  }
}

function judge(
  result: PostResult,
  attempt: number,
  maxAttempts: number,
  deps: DelivererDeps,
): { outcome: AttemptOutcome; delaySeconds?: number } {
  const status = result.statusCode;
  if (status !== null && status >= 200 && status <= 299) return { outcome: 'succeeded' };
  // 410 Gone: the receiver says the endpoint is gone for good (Standard Webhooks).
  if (result.refused || status === 410) return { outcome: 'failed' };
  if (attempt >= maxAttempts) return { outcome: 'dead-lettered' };
  const delaySeconds = retryDelaySeconds(attempt, {
    delays: deps.delays ?? WEBHOOK_RETRY_DELAYS_SECONDS,
    ...(deps.random === undefined ? {} : { random: deps.random }),
    ...(result.retryAfterSeconds === undefined
      ? {}
      : { retryAfterSeconds: result.retryAfterSeconds }),
  });
  return delaySeconds === undefined
    ? { outcome: 'dead-lettered' }
    : { outcome: 'retry', delaySeconds };
}

async function record(
  deps: DelivererDeps,
  received: ReceivedEvent,
  attempt: DeliveryAttempt,
): Promise<void> {
  const subject = subjectOf(received.message);
  await deps.log.update(subject, (current) =>
    recordAttempt(current, {
      eventId: received.message.id,
      messageId: received.messageId,
      attempt,
    }),
  );
}

async function outputUrl(event: ServiceEvent, deps: DelivererDeps): Promise<SignedUrl | undefined> {
  if (isBatchEvent(event) || deps.blobs === undefined) return undefined;
  const output = event.job.status === 'succeeded' ? event.job.output : null;
  if (output === null) return undefined;
  return deps.blobs.signedDownloadUrl(output.key, {
    expiresInSeconds: deps.outputUrlTtlSeconds ?? 3600,
  });
}
