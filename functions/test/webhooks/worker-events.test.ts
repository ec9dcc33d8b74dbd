import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsDeliveryLog } from '#core/local/fs-delivery-log.ts';
import { FsJobQueue } from '#core/local/fs-job-queue.ts';
import { parseServiceEvent, type ServiceEvent } from '#core/webhooks/service-event.ts';
import { staticSigningSecrets } from '#core/webhooks/signing-secrets.ts';
import { generateWebhookSecret } from '#core/webhooks/webhook-secret.ts';
import { startLocalWebhookDeliverer } from '#functions/webhooks/local-deliverer.ts';
import { createWebhookPoster } from '#functions/webhooks/webhook-poster.ts';
import { backoffSeconds } from '#runtime/worker/backoff.ts';
import { type ProcessLeaseDeps, processLease } from '#runtime/worker/process-lease.ts';
import { FAKE_MODEL, FakeEngine } from '../../../runtime/test/worker/fake-engine.ts';
import { createFlow, type Flow, useTempRoot } from '../../../runtime/test/worker/worker-harness.ts';
import { startReceiver, type TestReceiver } from './webhook-receiver.ts';

const newDir = useTempRoot('worker-events');
const receivers: TestReceiver[] = [];

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

function deps(flow: Flow, engine: FakeEngine): ProcessLeaseDeps {
  return {
    store: flow.store,
    blobs: flow.blobs,
    events: flow.events,
    engine,
    model: FAKE_MODEL,
    settings: {
      leaseSeconds: 30,
      maxAttempts: 3,
      progressIntervalMs: 0,
      backoffSeconds: (attempt) => backoffSeconds(attempt, () => 0.5),
    },
  };
}

describe('the worker and webhooks', () => {
  it('publishes edit.progress for a job subscribed to it, at most once per 2 s', async () => {
    const flow = createFlow(newDir());
    const { job } = await flow.submit({
      webhook: { url: 'https://hooks.example.com/x', events: ['edit.progress', 'edit.succeeded'] },
    });

    const result = await processLease(
      await flow.receive(),
      deps(flow, new FakeEngine({ stepMs: 10 })),
    );

    const events = await flow.drainEvents();
    expect(result.outcome).toBe('succeeded');
    expect(events.map((event) => event.type)).toEqual([
      'edit.running',
      'edit.progress',
      'edit.succeeded',
    ]);
    expect(events[1]?.job.progress).toEqual({ step: 1, steps: 4 });
    expect(new Set(events.map((event) => event.id)).size).toBe(3);
    expect(events[1]?.id).toMatch(new RegExp(`^evt_${job.id}_\\d+$`));
  });

  it('publishes no progress event for a job that does not subscribe to them', async () => {
    const flow = createFlow(newDir());
    await flow.submit({
      webhook: { url: 'https://hooks.example.com/x', events: ['edit.succeeded'] },
    });

    await processLease(await flow.receive(), deps(flow, new FakeEngine({ stepMs: 10 })));

    expect((await flow.drainEvents()).map((event) => event.type)).toEqual([
      'edit.running',
      'edit.succeeded',
    ]);
  });

  it('finishes a job at full speed while its webhook receiver hangs', async () => {
    const hook = await startReceiver(['hang']);
    receivers.push(hook);
    const flow = createFlow(newDir());
    const deliverer = startLocalWebhookDeliverer({
      events: new FsJobQueue<ServiceEvent>({
        dir: join(flow.dir, 'queues', 'events'),
        parse: parseServiceEvent,
        pollIntervalMs: 20,
      }),
      log: new FsDeliveryLog({ root: join(flow.dir, 'bucket') }),
      post: createWebhookPoster({ policy: { allowOrigins: [hook.origin] }, timeoutMs: 1_000 }),
      secrets: staticSigningSecrets(generateWebhookSecret()),
      waitSeconds: 0,
    });
    await flow.submit({
      webhook: {
        url: `${hook.origin}/hook`,
        events: ['edit.running', 'edit.progress', 'edit.succeeded'],
      },
    });
    const engine = new FakeEngine({ stepMs: 50 });

    const started = Date.now();
    const result = await processLease(await flow.receive(), deps(flow, engine));
    const jobMs = Date.now() - started;
    const receivedWhileRunning = hook.received.length;
    await deliverer.close();

    expect(result.outcome).toBe('succeeded');
    // Four 50 ms steps and the stores: far below one attempt timeout (1 s) of the hanging receiver.
    expect(jobMs).toBeLessThan(800);
    expect(receivedWhileRunning).toBeGreaterThanOrEqual(1);
  });
});
