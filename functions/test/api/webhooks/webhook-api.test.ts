import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsDeliveryLog } from '#core/local/fs-delivery-log.ts';
import { FsJobQueue } from '#core/local/fs-job-queue.ts';
import { parseServiceEvent, type ServiceEvent } from '#core/webhooks/service-event.ts';
import { staticSigningSecrets } from '#core/webhooks/signing-secrets.ts';
import { generateWebhookSecret } from '#core/webhooks/webhook-secret.ts';
import type { ApiRequest } from '#functions/api/api-types.ts';
import { type DelivererDeps, deliverEvent } from '#functions/webhooks/deliver-event.ts';
import { startLocalWebhookDeliverer } from '#functions/webhooks/local-deliverer.ts';
import { createWebhookPoster } from '#functions/webhooks/webhook-poster.ts';
import {
  call,
  createHarness,
  type Harness,
  jsonRequest,
  useTempRoot,
} from '../../helpers/api-harness.ts';
import { pngImage } from '../../helpers/images.ts';
import {
  type ReceiverAnswer,
  startReceiver,
  type TestReceiver,
} from '../../webhooks/webhook-receiver.ts';

const tempDir = useTempRoot('webhook-api');
const SECRET = generateWebhookSecret();
const receivers: TestReceiver[] = [];

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

interface Setup {
  readonly h: Harness;
  readonly hook: TestReceiver;
  readonly log: FsDeliveryLog;
  readonly events: FsJobQueue<ServiceEvent>;
  readonly deps: DelivererDeps;
  /** Delivers what is visible on the events queue, once each. */
  deliverVisible(): Promise<void>;
}

async function setup(script: readonly ReceiverAnswer[] = [200]): Promise<Setup> {
  const hook = await startReceiver(script);
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
  // The deliverer's view of the harness's events folder: every kind of event, the same clock.
  const events = new FsJobQueue<ServiceEvent>({
    dir: join(root, 'events'),
    parse: parseServiceEvent,
    now: h.clock.now,
    pollIntervalMs: 20,
  });
  const deps: DelivererDeps = {
    log,
    post: createWebhookPoster({ policy: { allowOrigins: [hook.origin] }, timeoutMs: 500 }),
    secrets: staticSigningSecrets(SECRET),
    now: h.clock.now,
    random: () => 0,
  };
  return {
    h,
    hook,
    log,
    events,
    deps,
    async deliverVisible() {
      const leases = await events.receive({ maxMessages: 10, waitSeconds: 0, leaseSeconds: 60 });
      for (const lease of leases) {
        const decision = await deliverEvent(lease, deps);
        if (decision.action === 'ack') await lease.ack();
        else await lease.release(decision.delaySeconds);
      }
    },
  };
}

async function submit(h: Harness, webhook: unknown, principal?: string) {
  const request = jsonRequest('POST', '/v1/edits', {
    image: {
      dataUri: `data:image/png;base64,${Buffer.from(await pngImage(64, 48)).toString('base64')}`,
    },
    instruction: 'make it winter',
    webhook,
  });
  return call(h.app, principal === undefined ? request : { ...request, principal });
}

function as(request: ApiRequest, principal: string): ApiRequest {
  return { ...request, principal };
}

describe('POST /v1/edits with a webhook', () => {
  it('stores the subscription, with the terminal events by default', async () => {
    const { h, hook } = await setup();

    const plain = await submit(h, { url: `${hook.origin}/hook` });
    const chosen = await submit(h, {
      url: `${hook.origin}/hook?t=1`,
      events: ['edit.progress', 'edit.succeeded'],
    });

    expect(plain.status).toBe(202);
    expect((await h.jobs.get(plain.json.id))?.webhook).toEqual({
      url: `${hook.origin}/hook`,
      events: ['edit.succeeded', 'edit.failed', 'edit.canceled', 'edit.expired'],
    });
    expect((await h.jobs.get(chosen.json.id))?.webhook).toEqual({
      url: `${hook.origin}/hook?t=1`,
      events: ['edit.progress', 'edit.succeeded'],
    });
  });

  it.each([
    ['http://hooks.example.com/x', 'scheme', undefined],
    ['https://0x7f000001/x', 'blocked-address', 'loopback'],
    ['https://2130706433/x', 'blocked-address', 'loopback'],
    ['https://0177.0.0.1/x', 'blocked-address', 'loopback'],
    ['https://[::ffff:127.0.0.1]/x', 'blocked-address', 'loopback'],
    ['https://169.254.169.254/latest/meta-data/', 'blocked-address', 'metadata'],
    ['https://10.0.0.1/x', 'blocked-address', 'private'],
    ['https://100.64.0.1/x', 'blocked-address', 'cgnat'],
    ['https://[fe80::1]/x', 'blocked-address', 'link-local'],
    ['https://localhost/x', 'blocked-host', undefined],
    ['https://user:pw@hooks.example.com/x', 'credentials', undefined],
    ['https://hooks.example.com:22/x', 'port', undefined],
  ])('refuses %s with 400 and stores nothing', async (url, reason, addressClass) => {
    const { h } = await setup();

    const res = await submit(h, { url });

    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: {
        field: 'webhook.url',
        reason,
        ...(addressClass === undefined ? {} : { addressClass }),
      },
      message: expect.stringContaining('Expected "webhook.url" to be an https URL'),
    });
    expect(await h.stored()).toEqual({ blobs: [], jobs: [], messages: 0, events: 0 });
  });

  it.each([
    [
      { url: 'https://hooks.example.com/x', events: ['edit.finished'] },
      'Expected each of "webhook.events" to be one of',
    ],
    [
      { url: 'https://hooks.example.com/x', events: [] },
      'Expected "webhook.events" to name at least one',
    ],
    [
      { url: 'https://hooks.example.com/x', events: ['edit.failed', 'edit.failed'] },
      '"edit.failed" is repeated',
    ],
    [
      { url: 'https://hooks.example.com/x', secret: 'x' },
      'Expected only the fields "url" and "events" in "webhook"',
    ],
    ['https://hooks.example.com/x', 'Expected "webhook" to be an object'],
    [{ url: `https://hooks.example.com/${'a'.repeat(2048)}` }, 'at most 2048 characters'],
  ])('refuses the webhook %j with 400', async (webhook, message) => {
    const { h } = await setup();

    const res = await submit(h, webhook);

    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('INVALID_ARGUMENT');
    expect(res.json.error.message).toContain(message);
  });
});

describe('GET /v1/edits/{id}/webhook-deliveries', () => {
  it("lists the job's deliveries with their attempts, to its owner only", async () => {
    const s = await setup([500, 204]);
    const created = await submit(
      s.h,
      { url: `${s.hook.origin}/hook`, events: ['edit.queued'] },
      'key_a',
    );
    await s.deliverVisible();
    s.h.clock.advance(5_000);
    await s.deliverVisible();

    const res = await call(
      s.h.app,
      as(jsonRequest('GET', `/v1/edits/${created.json.id}/webhook-deliveries`), 'key_a'),
    );
    const other = await call(
      s.h.app,
      as(jsonRequest('GET', `/v1/edits/${created.json.id}/webhook-deliveries`), 'key_b'),
    );

    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      id: created.json.id,
      webhook: { events: ['edit.queued'] },
      deliveries: [
        {
          id: `evt_${created.json.id}_1`,
          eventType: 'edit.queued',
          url: `${s.hook.origin}/hook`,
          status: 'succeeded',
          round: 1,
          createdAt: '2026-11-27T12:00:00.000Z',
          updatedAt: '2026-11-27T12:00:05.000Z',
          nextAttemptAt: null,
          redeliveryRequestedAt: null,
          attempts: [
            expect.objectContaining({
              attempt: 1,
              statusCode: 500,
              outcome: 'retry',
              nextAttemptAt: '2026-11-27T12:00:05.000Z',
            }),
            expect.objectContaining({ attempt: 2, statusCode: 204, outcome: 'succeeded' }),
          ],
          links: {
            redeliver: `/v1/edits/${created.json.id}/webhook-deliveries/evt_${created.json.id}_1/redeliver`,
          },
        },
      ],
    });
    expect(JSON.stringify(res.json)).not.toContain('key_a');
    expect(other.status).toBe(404);
    expect(other.json.error.code).toBe('NOT_FOUND');
  });

  it('answers an empty list for a job without deliveries, and 404 for an unknown job', async () => {
    const { h } = await setup();
    const created = await submit(h, undefined);

    const empty = await call(
      h.app,
      jsonRequest('GET', `/v1/edits/${created.json.id}/webhook-deliveries`),
    );
    const unknown = await call(h.app, jsonRequest('GET', '/v1/edits/job_none/webhook-deliveries'));

    expect(empty.json).toEqual({ id: created.json.id, webhook: null, deliveries: [] });
    expect(unknown.status).toBe(404);
  });
});

describe('POST /v1/edits/{id}/webhook-deliveries/{deliveryId}/redeliver', () => {
  it('queues the event again and the deliverer sends it in a new round, same webhook-id', async () => {
    const s = await setup([200]);
    const created = await submit(s.h, { url: `${s.hook.origin}/hook`, events: ['edit.queued'] });
    await s.deliverVisible();
    const deliveryId = `evt_${created.json.id}_1`;

    const res = await call(
      s.h.app,
      jsonRequest(
        'POST',
        `/v1/edits/${created.json.id}/webhook-deliveries/${deliveryId}/redeliver`,
      ),
    );
    await s.deliverVisible();

    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({
      id: deliveryId,
      redeliveryRequestedAt: '2026-11-27T12:00:00.000Z',
    });
    expect(s.hook.received.map((r) => r.headers['webhook-id'])).toEqual([deliveryId, deliveryId]);
    const delivery = (await s.log.read({ kind: 'edit', id: created.json.id }))?.deliveries[0];
    expect(delivery).toMatchObject({ status: 'succeeded', round: 2, redeliveryRequestedAt: null });
    expect(delivery?.attempts.map((a) => [a.round, a.attempt, a.outcome])).toEqual([
      [1, 1, 'succeeded'],
      [2, 1, 'succeeded'],
    ]);
  });

  it('answers 404 for an unknown delivery and for another owner, and publishes nothing', async () => {
    const s = await setup([200]);
    const created = await submit(
      s.h,
      { url: `${s.hook.origin}/hook`, events: ['edit.queued'] },
      'key_a',
    );
    await s.deliverVisible();
    const path = `/v1/edits/${created.json.id}/webhook-deliveries`;

    const unknown = await call(
      s.h.app,
      as(jsonRequest('POST', `${path}/evt_nope/redeliver`), 'key_a'),
    );
    const stranger = await call(
      s.h.app,
      as(jsonRequest('POST', `${path}/evt_${created.json.id}_1/redeliver`), 'key_b'),
    );

    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toContain('no delivery "evt_nope"');
    expect(stranger.status).toBe(404);
    expect(await s.events.depth()).toEqual({ visible: 0, hidden: 0 });
  });
});

describe('a receiver that hangs', () => {
  it('never delays a cancel: the deliverer runs apart and each attempt ends at its timeout', async () => {
    const s = await setup(['hang']);
    const deliverer = startLocalWebhookDeliverer({ ...s.deps, events: s.events, waitSeconds: 0 });
    const created = await submit(s.h, {
      url: `${s.hook.origin}/hook`,
      events: ['edit.queued', 'edit.canceled'],
    });
    for (let i = 0; i < 100 && s.hook.received.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const started = Date.now();
    const canceled = await call(
      s.h.app,
      jsonRequest('POST', `/v1/edits/${created.json.id}/cancel`),
    );
    const cancelMs = Date.now() - started;
    await deliverer.close();

    expect(s.hook.received.length).toBeGreaterThanOrEqual(1);
    expect(canceled.status).toBe(200);
    expect(cancelMs).toBeLessThan(400);
    expect((await s.h.jobs.get(created.json.id))?.status).toBe('canceled');
    const attempts = (await s.log.read({ kind: 'edit', id: created.json.id }))?.deliveries.flatMap(
      (d) => d.attempts,
    );
    expect(attempts?.[0]).toMatchObject({ error: { reason: 'timeout' }, outcome: 'retry' });
  });
});
