import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jobEventFor } from '#core/jobs/job-event.ts';
import type { JobRecord } from '#core/jobs/job-record.ts';
import { FsBlobStore } from '#core/local/fs-blob-store.ts';
import { FsDeliveryLog } from '#core/local/fs-delivery-log.ts';
import { FsJobQueue } from '#core/local/fs-job-queue.ts';
import { jobRecordFactory } from '#core/testing/job-factory.ts';
import { parseServiceEvent, type ServiceEvent } from '#core/webhooks/service-event.ts';
import { staticSigningSecrets } from '#core/webhooks/signing-secrets.ts';
import { verifyWebhook } from '#core/webhooks/verify-webhook.ts';
import { generateWebhookSecret } from '#core/webhooks/webhook-secret.ts';
import {
  type DelivererDeps,
  type DeliveryDecision,
  deliverEvent,
} from '#functions/webhooks/deliver-event.ts';
import { createWebhookPoster } from '#functions/webhooks/webhook-poster.ts';
import { useTempRoot } from '../helpers/api-harness.ts';
import {
  downOrigin,
  type ReceiverAnswer,
  startReceiver,
  type TestReceiver,
} from './webhook-receiver.ts';

const newDir = useTempRoot('deliver');
const START = Date.parse('2026-11-27T12:00:00.000Z');
const SECRET = generateWebhookSecret();
const receivers: TestReceiver[] = [];

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

async function receiver(script: readonly ReceiverAnswer[]): Promise<TestReceiver> {
  const started = await startReceiver(script);
  receivers.push(started);
  return started;
}

/** The events queue, log and deliverer of one test, on a fake clock. */
function setup(origin: string, options: { timeoutMs?: number; resolveTo?: string } = {}) {
  const dir = newDir();
  let now = START;
  const clock = () => now;
  const events = new FsJobQueue<ServiceEvent>({
    dir: join(dir, 'events'),
    parse: parseServiceEvent,
    deadLetter: { dir: join(dir, 'events-dlq'), maxReceiveCount: 8 },
    now: clock,
  });
  const deadLetters = new FsJobQueue<ServiceEvent>({
    dir: join(dir, 'events-dlq'),
    parse: parseServiceEvent,
    now: clock,
  });
  const log = new FsDeliveryLog({ root: join(dir, 'bucket') });
  const deps: DelivererDeps = {
    log,
    post: createWebhookPoster({
      policy: { allowOrigins: [origin] },
      timeoutMs: options.timeoutMs ?? 2_000,
      ...(options.resolveTo === undefined
        ? {}
        : { resolve: async () => [{ address: options.resolveTo ?? '', family: 4 as const }] }),
    }),
    secrets: staticSigningSecrets(SECRET),
    blobs: new FsBlobStore({
      root: join(dir, 'bucket'),
      baseUrl: 'http://127.0.0.1:9',
      signingSecret: 'blob-url-secret-of-enough-length-0123456789',
      now: clock,
    }),
    now: clock,
    random: () => 0,
  };
  return {
    events,
    deadLetters,
    log,
    deps,
    advance: (ms: number) => {
      now += ms;
    },
    now: clock,
    /** Receives the next visible event, delivers it and settles the lease as the deliverer does. */
    async step(): Promise<DeliveryDecision | undefined> {
      const [lease] = await events.receive({ maxMessages: 1, waitSeconds: 0, leaseSeconds: 60 });
      if (lease === undefined) return undefined;
      const decision = await deliverEvent(lease, deps);
      if (decision.action === 'ack') await lease.ack();
      else await lease.release(decision.delaySeconds);
      return decision;
    },
  };
}

function succeededJob(url: string, webhook?: JobRecord['webhook']): JobRecord {
  return {
    ...jobRecordFactory({
      id: 'job_hook',
      status: 'succeeded',
      output: { key: 'outputs/job_hook.png', width: 64, height: 48, format: 'png' },
      webhook: webhook === undefined ? { url, events: ['edit.succeeded', 'edit.failed'] } : webhook,
    }),
    version: 4,
  };
}

describe('deliverEvent', () => {
  it('retries a receiver that answers 500 after the first wait (5 s) and records both attempts', async () => {
    const hook = await receiver([500, 204]);
    const t = setup(hook.origin);
    const event = jobEventFor(succeededJob(`${hook.origin}/hook?token=abc`), new Date(START));
    await t.events.send(event);

    const first = await t.step();
    const early = await t.step();
    t.advance(5_000);
    const second = await t.step();

    expect(first).toEqual({ action: 'release', delaySeconds: 5, why: 'retry' });
    expect(early).toBeUndefined();
    expect(second).toEqual({ action: 'ack', why: 'succeeded' });
    expect(hook.received).toHaveLength(2);
    const log = await t.log.read({ kind: 'edit', id: 'job_hook' });
    expect(log?.deliveries).toHaveLength(1);
    expect(log?.deliveries[0]).toMatchObject({
      id: 'evt_job_hook_4',
      eventType: 'edit.succeeded',
      url: `${hook.origin}/hook`,
      status: 'succeeded',
      nextAttemptAt: null,
    });
    expect(log?.deliveries[0]?.attempts).toEqual([
      {
        round: 1,
        attempt: 1,
        at: '2026-11-27T12:00:00.000Z',
        durationMs: expect.any(Number),
        statusCode: 500,
        error: null,
        outcome: 'retry',
        nextAttemptAt: '2026-11-27T12:00:05.000Z',
      },
      {
        round: 1,
        attempt: 2,
        at: '2026-11-27T12:00:05.000Z',
        durationMs: expect.any(Number),
        statusCode: 204,
        error: null,
        outcome: 'succeeded',
        nextAttemptAt: null,
      },
    ]);
  });

  it('signs every attempt so that a receiver verifies it: same id, fresh timestamp, raw body', async () => {
    const hook = await receiver([503, 200]);
    const t = setup(hook.origin);
    await t.events.send(jobEventFor(succeededJob(`${hook.origin}/hook`), new Date(START)));

    await t.step();
    t.advance(5_000);
    await t.step();

    const [one, two] = hook.received;
    const verifiedOne = verifyWebhook(one?.body ?? '', one?.headers ?? {}, SECRET, { now: START });
    const verifiedTwo = verifyWebhook(two?.body ?? '', two?.headers ?? {}, SECRET, {
      now: START + 5_000,
    });
    expect(verifiedOne.id).toBe('evt_job_hook_4');
    expect(verifiedTwo.id).toBe('evt_job_hook_4');
    expect(verifiedTwo.timestamp - verifiedOne.timestamp).toBe(5);
    expect(one?.headers['content-type']).toBe('application/json');
    expect(verifiedOne.payload).toMatchObject({
      type: 'edit.succeeded',
      timestamp: '2026-11-27T12:00:00.000Z',
      data: {
        id: 'job_hook',
        status: 'succeeded',
        output: {
          url: expect.stringMatching(
            /^http:\/\/127\.0\.0\.1:9\/local-blobs\/outputs\/job_hook\.png\?/,
          ),
        },
      },
    });
    // A replay of the first attempt later than the tolerance is refused by the receiver.
    expect(() =>
      verifyWebhook(one?.body ?? '', one?.headers ?? {}, SECRET, { now: START + 301_000 }),
    ).toThrow(expect.objectContaining({ reason: 'timestamp-too-old' }));
  });

  it('dead-letters an event whose receiver is down for the whole window, and the log says so', async () => {
    const origin = await downOrigin();
    const t = setup(origin);
    await t.events.send(jobEventFor(succeededJob(`${origin}/hook`), new Date(START)));

    const decisions: (DeliveryDecision | undefined)[] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      const decision = await t.step();
      decisions.push(decision);
      if (decision?.action === 'release') t.advance(decision.delaySeconds * 1000);
    }
    const afterRound = await t.step();

    expect(decisions.map((d) => (d?.action === 'release' ? d.delaySeconds : d?.action))).toEqual([
      5, 300, 1_800, 7_200, 18_000, 36_000, 36_000, 0,
    ]);
    expect(decisions.at(-1)).toEqual({ action: 'release', delaySeconds: 0, why: 'dead-letter' });
    expect(afterRound).toBeUndefined();
    expect(await t.events.depth()).toEqual({ visible: 0, hidden: 0 });
    const [dead] = await t.deadLetters.receive({
      maxMessages: 10,
      waitSeconds: 0,
      leaseSeconds: 1,
    });
    expect(dead?.message.id).toBe('evt_job_hook_4');
    const delivery = (await t.log.read({ kind: 'edit', id: 'job_hook' }))?.deliveries[0];
    expect(delivery).toMatchObject({ status: 'dead-lettered', nextAttemptAt: null, round: 1 });
    expect(delivery?.attempts.map((a) => [a.attempt, a.outcome, a.error?.reason])).toEqual([
      [1, 'retry', 'network'],
      [2, 'retry', 'network'],
      [3, 'retry', 'network'],
      [4, 'retry', 'network'],
      [5, 'retry', 'network'],
      [6, 'retry', 'network'],
      [7, 'retry', 'network'],
      [8, 'dead-lettered', 'network'],
    ]);
    // The last attempt is 27 h 35 min 5 s after the first.
    expect(delivery?.attempts.at(-1)?.at).toBe(new Date(START + 99_305_000).toISOString());
  });

  it('ends an attempt on a slow receiver at the timeout and schedules the retry', async () => {
    const hook = await receiver(['hang']);
    const t = setup(hook.origin, { timeoutMs: 300 });
    await t.events.send(jobEventFor(succeededJob(`${hook.origin}/hook`), new Date(START)));
    const started = Date.now();

    const decision = await t.step();

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(decision).toEqual({ action: 'release', delaySeconds: 5, why: 'retry' });
    const attempt = (await t.log.read({ kind: 'edit', id: 'job_hook' }))?.deliveries[0]
      ?.attempts[0];
    expect(attempt).toMatchObject({
      statusCode: null,
      error: { reason: 'timeout' },
      outcome: 'retry',
    });
    expect(attempt?.durationMs).toBeGreaterThanOrEqual(250);
  });

  it('honours Retry-After, treats a redirect as a failure, and gives up at once on 410 Gone', async () => {
    const hook = await receiver([
      { status: 503, headers: { 'retry-after': '120' } },
      { status: 302, headers: { location: 'https://169.254.169.254/' } },
      410,
    ]);
    const t = setup(hook.origin);
    await t.events.send(jobEventFor(succeededJob(`${hook.origin}/hook`), new Date(START)));

    const first = await t.step();
    t.advance(120_000);
    const second = await t.step();
    t.advance(300_000);
    const third = await t.step();

    expect(first).toMatchObject({ action: 'release', delaySeconds: 120 });
    expect(second).toMatchObject({ action: 'release', delaySeconds: 300 });
    expect(third).toEqual({ action: 'ack', why: 'failed' });
    expect(hook.received).toHaveLength(3);
    const delivery = (await t.log.read({ kind: 'edit', id: 'job_hook' }))?.deliveries[0];
    expect(delivery?.status).toBe('failed');
    expect(delivery?.attempts.map((a) => a.statusCode)).toEqual([503, 302, 410]);
  });

  it('does not retry a URL whose name resolves to a private address, and never connects', async () => {
    const hook = await receiver([200]);
    const t = setup(hook.origin, { resolveTo: '10.0.0.7' });
    await t.events.send(
      jobEventFor(succeededJob('https://hooks.example.com/hook'), new Date(START)),
    );

    const decision = await t.step();

    expect(decision).toEqual({ action: 'ack', why: 'failed' });
    expect(hook.received).toHaveLength(0);
    const attempt = (await t.log.read({ kind: 'edit', id: 'job_hook' }))?.deliveries[0]
      ?.attempts[0];
    expect(attempt).toMatchObject({
      statusCode: null,
      outcome: 'failed',
      error: { reason: 'blocked-address' },
    });
  });

  it('skips events the webhook does not subscribe to, and jobs without a webhook', async () => {
    const hook = await receiver([200]);
    const t = setup(hook.origin);
    const job = succeededJob('', { url: `${hook.origin}/hook`, events: ['edit.failed'] });
    await t.events.send(jobEventFor(job, new Date(START)));
    await t.events.send(jobEventFor({ ...job, webhook: null }, new Date(START)));

    expect(await t.step()).toEqual({ action: 'ack', why: 'not-subscribed' });
    expect(await t.step()).toEqual({ action: 'ack', why: 'not-subscribed' });
    expect(hook.received).toHaveLength(0);
    expect(await t.log.read({ kind: 'edit', id: 'job_hook' })).toBeUndefined();
  });

  it('delivers an event published twice (at least once) only once', async () => {
    const hook = await receiver([200]);
    const t = setup(hook.origin);
    const event = jobEventFor(succeededJob(`${hook.origin}/hook`), new Date(START));
    await t.events.send(event);
    await t.events.send(event);

    const decisions = [await t.step(), await t.step()];

    expect(decisions).toEqual([
      { action: 'ack', why: 'succeeded' },
      { action: 'ack', why: 'duplicate' },
    ]);
    expect(hook.received).toHaveLength(1);
  });
});
