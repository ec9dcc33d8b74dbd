import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VibeClient } from '#client/vibe-client.ts';
import { verifyWebhook, WebhookVerificationError } from '#client/webhooks.ts';
import { FsDeliveryLog } from '#core/local/fs-delivery-log.ts';
import { FsJobQueue } from '#core/local/fs-job-queue.ts';
import { parseServiceEvent, type ServiceEvent } from '#core/webhooks/service-event.ts';
import { staticSigningSecrets } from '#core/webhooks/signing-secrets.ts';
import { generateWebhookSecret, parseWebhookSecret } from '#core/webhooks/webhook-secret.ts';
import { signWebhook } from '#core/webhooks/webhook-signature.ts';
import { type DelivererDeps, deliverEvent } from '#functions/webhooks/deliver-event.ts';
import { createWebhookPoster } from '#functions/webhooks/webhook-poster.ts';
import { createHarness, START, useTempRoot } from '../../functions/test/helpers/api-harness.ts';
import { pngImage } from '../../functions/test/helpers/images.ts';
import {
  startReceiver,
  type TestReceiver,
} from '../../functions/test/webhooks/webhook-receiver.ts';
import { appFetch } from './helpers/app-fetch.ts';

const tempDir = useTempRoot('client-webhooks');
const SECRET = generateWebhookSecret();
const receivers: TestReceiver[] = [];

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

/** The app with a delivery log and a receiver it may call, the deliverer, and a client on it. */
async function setup() {
  const hook = await startReceiver([500, 200]);
  receivers.push(hook);
  const root = tempDir();
  const log = new FsDeliveryLog({ root: join(root, 'deliveries') });
  const h = createHarness(root, {
    wrap: (deps) => ({
      ...deps,
      webhookDeliveries: log,
      outbound: { allowOrigins: [hook.origin] },
    }),
  });
  const events = new FsJobQueue<ServiceEvent>({
    dir: join(root, 'events'),
    parse: parseServiceEvent,
    now: h.clock.now,
  });
  const deps: DelivererDeps = {
    log,
    post: createWebhookPoster({ policy: { allowOrigins: [hook.origin] }, timeoutMs: 500 }),
    secrets: staticSigningSecrets(SECRET),
    now: h.clock.now,
    random: () => 0,
  };
  const deliverVisible = async () => {
    const leases = await events.receive({ maxMessages: 10, waitSeconds: 0, leaseSeconds: 60 });
    for (const lease of leases) {
      const decision = await deliverEvent(lease, deps);
      if (decision.action === 'ack') await lease.ack();
      else await lease.release(decision.delaySeconds);
    }
  };
  const client = new VibeClient({ baseUrl: 'http://api.test', fetch: appFetch(h.app) });
  return { h, hook, client, deliverVisible };
}

describe('the client and webhooks', () => {
  it('submits a webhook, reads the delivery log, redelivers, and verifies what the receiver got', async () => {
    const { h, hook, client, deliverVisible } = await setup();
    const png = await pngImage(64, 48);

    const submitted = await client.submitEdit({
      image: { dataUri: `data:image/png;base64,${Buffer.from(png).toString('base64')}` },
      instruction: 'make it winter',
      webhook: { url: `${hook.origin}/hook`, events: ['edit.queued'] },
    });
    await deliverVisible();
    const first = await client.listWebhookDeliveries(submitted.id);
    const delivery = first.deliveries[0];
    const again = await client.redeliverWebhook(submitted.id, delivery?.id ?? '');
    await deliverVisible();
    const after = await client.listWebhookDeliveries(submitted.id);

    expect(first).toMatchObject({ id: submitted.id, webhook: { events: ['edit.queued'] } });
    expect(delivery).toMatchObject({
      eventType: 'edit.queued',
      url: `${hook.origin}/hook`,
      status: 'retrying',
      attempts: [{ attempt: 1, statusCode: 500, outcome: 'retry' }],
    });
    expect(again).toMatchObject({ id: delivery?.id, redeliveryRequestedAt: expect.any(String) });
    expect(after.deliveries[0]).toMatchObject({ id: delivery?.id, status: 'succeeded', round: 2 });
    expect(hook.received).toHaveLength(2);
    const received = hook.received[1];
    const verified = verifyWebhook(received?.body ?? '', received?.headers ?? {}, SECRET, {
      now: h.clock.now(),
    });
    expect(verified).toMatchObject({
      id: delivery?.id,
      payload: { type: 'edit.queued', data: { id: submitted.id, status: 'queued' } },
    });
    await expect(client.listWebhookDeliveries('job_unknown')).rejects.toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
  });
});

describe('verifyWebhook (re-exported for receivers)', () => {
  const body = JSON.stringify({
    type: 'edit.succeeded',
    timestamp: '2026-11-27T12:00:00.000Z',
    data: { id: 'job_1' },
  });
  const timestamp = Math.floor(START / 1000);
  const signed = (secrets: string[], at = timestamp, id = 'evt_job_1_3') =>
    signWebhook(
      { id, timestamp: at, body: new TextEncoder().encode(body) },
      secrets.map((secret) => parseWebhookSecret(secret)),
    );

  it('accepts a signed delivery, also under the old secret during a rotation', () => {
    const old = generateWebhookSecret();
    const headers = signed([SECRET, old]);

    expect(verifyWebhook(body, headers, SECRET, { now: START }).id).toBe('evt_job_1_3');
    expect(
      verifyWebhook(body, headers, [generateWebhookSecret(), old], { now: START }).payload,
    ).toEqual(JSON.parse(body));
  });

  it('refuses a tampered body, a replay outside the tolerance and a wrong secret', () => {
    const headers = signed([SECRET]);
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        if (error instanceof WebhookVerificationError) return error.reason;
        throw error;
      }
      return 'accepted';
    };

    expect(
      refusal(() => verifyWebhook(body.replace('job_1', 'job_2'), headers, SECRET, { now: START })),
    ).toBe('no-matching-signature');
    expect(refusal(() => verifyWebhook(body, headers, SECRET, { now: START + 301_000 }))).toBe(
      'timestamp-too-old',
    );
    expect(
      refusal(() => verifyWebhook(body, headers, generateWebhookSecret(), { now: START })),
    ).toBe('no-matching-signature');
  });
});
