import { DependencyError } from '#core/errors.ts';
import type { DeliveryLog, WebhookDelivery } from '#core/webhooks/delivery-log.ts';
import { requestRedelivery } from '#core/webhooks/delivery-records.ts';
import type { ServiceEvent, WebhookSubject } from '#core/webhooks/service-event.ts';
import type { ApiContext } from '../api-context.ts';

/**
 * The delivery log as the API shows it, and the redeliver call. Subject-generic: the edit routes
 * (webhook-routes.ts) use it after checking that the caller owns the job, the batch routes after
 * checking the batch. The stored event is never shown (it holds the owner and internal keys).
 */

export function deliveryView(delivery: WebhookDelivery, basePath: string) {
  return {
    id: delivery.id,
    eventType: delivery.eventType,
    url: delivery.url,
    status: delivery.status,
    round: delivery.round,
    createdAt: delivery.createdAt,
    updatedAt: delivery.updatedAt,
    nextAttemptAt: delivery.nextAttemptAt,
    redeliveryRequestedAt: delivery.redeliveryRequestedAt,
    attempts: delivery.attempts.map((attempt) => ({ ...attempt })),
    links: {
      redeliver: `${basePath}/webhook-deliveries/${encodeURIComponent(delivery.id)}/redeliver`,
    },
  };
}

export type DeliveryView = ReturnType<typeof deliveryView>;

function logOf(ctx: ApiContext) {
  const log = ctx.webhookDeliveries;
  if (log === undefined) {
    throw new DependencyError(
      'Expected a webhook delivery log to be configured (ApiDeps.webhookDeliveries) but there is none',
    );
  }
  return log;
}

/**
 * Every delivery of `subject`, newest first.
 * @param basePath the subject's path, e.g. `/v1/edits/job_1` (for the links).
 */
export async function listWebhookDeliveries(
  ctx: ApiContext,
  subject: WebhookSubject,
  basePath: string,
): Promise<{ deliveries: DeliveryView[] }> {
  const log: DeliveryLog | undefined = await ctx.dependency('delivery log read', () =>
    logOf(ctx).read(subject),
  );
  const deliveries = [...(log?.deliveries ?? [])]
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .map((delivery) => deliveryView(delivery, basePath));
  return { deliveries };
}

/**
 * Starts a new round of a delivery: marks it in the log, then queues its event again (same
 * `webhook-id`, so a receiver that did get it deduplicates). The deliverer gives the new round
 * the full retry schedule.
 * @throws NotFoundError (404) when the subject has no such delivery.
 */
export async function redeliverWebhook(
  ctx: ApiContext,
  subject: WebhookSubject,
  deliveryId: string,
  basePath: string,
  publish: (event: ServiceEvent) => Promise<void>,
): Promise<DeliveryView> {
  let marked: WebhookDelivery | undefined;
  await ctx.dependency('delivery log update', () =>
    logOf(ctx).update(subject, (current) => {
      const result = requestRedelivery(current, subject, deliveryId, new Date(ctx.clock.now()));
      marked = result.delivery;
      return result.log;
    }),
  );
  if (marked === undefined) {
    throw new DependencyError('Expected the delivery log update to run but it did not');
  }
  const event = marked.event;
  await ctx.dependency('event publish', () => publish(event));
  return deliveryView(marked, basePath);
}
