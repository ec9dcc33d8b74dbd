import { ConfigError } from '#core/errors.ts';
import { FsDeliveryLog } from '#core/local/fs-delivery-log.ts';
import { FsJobQueue } from '#core/local/fs-job-queue.ts';
import type { OutboundUrlPolicy } from '#core/net/outbound-url.ts';
import type { BlobStore } from '#core/ports.ts';
import { WEBHOOK_MAX_ATTEMPTS } from '#core/webhooks/retry-schedule.ts';
import { parseServiceEvent, type ServiceEvent } from '#core/webhooks/service-event.ts';
import { staticSigningSecrets } from '#core/webhooks/signing-secrets.ts';
import type { LogSink } from '../api/api-types.ts';
import { type LocalDeliverer, startLocalWebhookDeliverer } from './local-deliverer.ts';
import { createWebhookPoster } from './webhook-poster.ts';

export interface LocalWebhooksOptions {
  /** The local data layout's folders (runtime/src/worker/service-ports.ts `localDataLayout`). */
  readonly bucketDir: string;
  readonly eventsDir: string;
  readonly eventsDeadLetterDir: string;
  /** VIBE_WEBHOOK_SECRET: one or more `whsec_` secrets. */
  readonly secret: string | undefined;
  /** Presigns output URLs for `edit.succeeded` payloads. */
  readonly blobs?: BlobStore;
  /** Allow-listed origins (tests only). */
  readonly policy?: OutboundUrlPolicy;
  readonly logSink?: LogSink;
}

export interface LocalWebhooks {
  /** For ApiDeps.webhookDeliveries (the API reads what the deliverer writes). */
  readonly deliveries: FsDeliveryLog;
  /**
   * Starts the deliverer on the events folder. Its own consumer of the folder applies the
   * dead-letter move after WEBHOOK_MAX_ATTEMPTS receives, whatever the lanes' maxReceiveCount is.
   * @throws ConfigError without a secret (nothing would let receivers verify deliveries).
   */
  start(): LocalDeliverer;
}

/** The webhook parts of local mode: the delivery log and the deliverer, on the data folder. */
export function localWebhooks(options: LocalWebhooksOptions): LocalWebhooks {
  const deliveries = new FsDeliveryLog({ root: options.bucketDir });
  return {
    deliveries,
    start() {
      if (options.secret === undefined) {
        throw new ConfigError(
          "Expected VIBE_WEBHOOK_SECRET (one or more \"whsec_\" secrets) to deliver webhooks but it is not set; make one with: node -e \"console.log('whsec_' + require('crypto').randomBytes(32).toString('base64'))\"",
        );
      }
      return startLocalWebhookDeliverer({
        events: new FsJobQueue<ServiceEvent>({
          dir: options.eventsDir,
          parse: parseServiceEvent,
          deadLetter: { dir: options.eventsDeadLetterDir, maxReceiveCount: WEBHOOK_MAX_ATTEMPTS },
        }),
        log: deliveries,
        post: createWebhookPoster(options.policy === undefined ? {} : { policy: options.policy }),
        secrets: staticSigningSecrets(options.secret),
        blobs: options.blobs,
        logSink: options.logSink,
      });
    },
  };
}
