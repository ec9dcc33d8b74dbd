import { DependencyError } from '#core/errors.ts';
import { isBatchEvent } from '#core/webhooks/service-event.ts';
import { readJob } from '../../use-cases/get-edit.ts';
import type { ApiContext } from '../api-context.ts';
import type { ApiResponse } from '../api-types.ts';
import { jsonResponse } from '../json-response.ts';
import { listWebhookDeliveries, redeliverWebhook } from './webhook-deliveries.ts';

/** What these handlers read of a routed call (a subset of the app's own `Call`). */
interface RoutedCall {
  readonly params: Readonly<Record<string, string>>;
  /** The caller's owner id: only that owner's jobs are visible. */
  readonly owner: string;
}

interface WebhookRoute {
  readonly method: string;
  readonly path: string;
  readonly handler: (ctx: ApiContext, call: RoutedCall) => Promise<ApiResponse>;
}

function editPath(id: string): string {
  return `/v1/edits/${encodeURIComponent(id)}`;
}

/**
 * `GET /v1/edits/{id}/webhook-deliveries` and
 * `POST /v1/edits/{id}/webhook-deliveries/{deliveryId}/redeliver`, owner-scoped: another owner's
 * job is a 404, as in `GET /v1/edits/{id}`.
 */
export const webhookRoutes: readonly WebhookRoute[] = [
  {
    method: 'GET',
    path: '/v1/edits/:id/webhook-deliveries',
    handler: async (ctx, { params, owner }) => {
      const job = await readJob(ctx, params.id ?? '', owner);
      const listed = await listWebhookDeliveries(
        ctx,
        { kind: 'edit', id: job.id },
        editPath(job.id),
      );
      return jsonResponse(200, {
        id: job.id,
        webhook: job.webhook === null ? null : { events: job.webhook.events },
        ...listed,
      });
    },
  },
  {
    method: 'POST',
    path: '/v1/edits/:id/webhook-deliveries/:deliveryId/redeliver',
    handler: async (ctx, { params, owner }) => {
      const job = await readJob(ctx, params.id ?? '', owner);
      const delivery = await redeliverWebhook(
        ctx,
        { kind: 'edit', id: job.id },
        params.deliveryId ?? '',
        editPath(job.id),
        async (event) => {
          const events = ctx.events;
          if (events === undefined || isBatchEvent(event)) {
            throw new DependencyError(
              'Expected an events queue to redeliver to but none is configured',
            );
          }
          await events.publish(event);
        },
      );
      return jsonResponse(202, delivery);
    },
  },
];
