import type { JobQueue, Lease } from '#core/ports.ts';
import type { ServiceEvent } from '#core/webhooks/service-event.ts';
import { describeError } from '../api/http-errors.ts';
import { type DelivererDeps, type DeliveryDecision, deliverEvent } from './deliver-event.ts';

export interface LocalDelivererOptions extends DelivererDeps {
  /**
   * The events queue opened with `parseServiceEvent`, with a dead-letter folder whose
   * maxReceiveCount equals `maxAttempts` (8): the redrive is what moves a dead-lettered event.
   */
  readonly events: JobQueue<ServiceEvent>;
  /** Deliveries in flight at once. @default 10 */
  readonly concurrency?: number;
  /** The lease of a received event; longer than one attempt. @default 60 */
  readonly leaseSeconds?: number;
  /** Long poll per receive, seconds. @default 1 */
  readonly waitSeconds?: number;
  /** Wait before an event whose delivery threw (log or secret store down) comes back. @default 30 */
  readonly errorRetrySeconds?: number;
}

export interface LocalDeliverer {
  /** Stops receiving and waits for the deliveries in flight (each ends at its attempt timeout). */
  close(): Promise<void>;
}

/**
 * The webhook deliverer of local mode: an in-process loop over the local events queue, with the
 * same delivery logic as the Lambda (deliver-event.ts). It runs apart from the worker, so a
 * receiver that is down, slow or failing delays nothing but its own deliveries; up to
 * `concurrency` deliveries run at once, so one slow receiver does not hold the others back.
 */
export function startLocalWebhookDeliverer(options: LocalDelivererOptions): LocalDeliverer {
  const concurrency = options.concurrency ?? 10;
  const leaseSeconds = options.leaseSeconds ?? 60;
  const waitSeconds = options.waitSeconds ?? 1;
  const errorRetrySeconds = options.errorRetrySeconds ?? 30;
  const stop = new AbortController();
  const inFlight = new Set<Promise<void>>();

  const handle = async (lease: Lease<ServiceEvent>): Promise<void> => {
    let decision: DeliveryDecision | undefined;
    try {
      decision = await deliverEvent(lease, options);
      if (decision.action === 'ack') await lease.ack();
      else await lease.release(decision.delaySeconds);
    } catch (error) {
      options.logSink?.({
        level: 'error',
        msg: 'webhook delivery failed before its outcome was settled',
        eventId: lease.message.id,
        decision,
        error: describeError(error),
      });
      if (decision === undefined) {
        await lease.release(errorRetrySeconds).catch((releaseError: unknown) => {
          // The lease runs out on its own and the event comes back then.
          options.logSink?.({
            level: 'warn',
            msg: 'could not release the event',
            error: describeError(releaseError),
          });
        });
      }
    }
  };

  const loop = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      if (inFlight.size >= concurrency) {
        await Promise.race(inFlight);
        continue;
      }
      let leases: Lease<ServiceEvent>[];
      try {
        leases = await options.events.receive({
          maxMessages: Math.min(10, concurrency - inFlight.size),
          waitSeconds,
          leaseSeconds,
          signal: stop.signal,
        });
      } catch (error) {
        options.logSink?.({
          level: 'error',
          msg: 'events queue receive failed',
          error: describeError(error),
        });
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      for (const lease of leases) {
        const running: Promise<void> = handle(lease).finally(() => inFlight.delete(running));
        inFlight.add(running);
      }
    }
  };

  const looping = loop();
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        stop.abort();
        await looping;
        await Promise.all(inFlight);
      })();
      return closing;
    },
  };
}
