import { describe, expect, it } from 'vitest';
import { jobEventFor } from '#core/jobs/job-event.ts';
import { jobRecordFactory } from '#core/testing/job-factory.ts';
import type { DeliveryAttempt, DeliveryLog } from '#core/webhooks/delivery-log.ts';
import { deliveryLogKey, MAX_DELIVERIES_KEPT } from '#core/webhooks/delivery-log.ts';
import {
  claimDelivery,
  recordAttempt,
  requestRedelivery,
} from '#core/webhooks/delivery-records.ts';
import type { WebhookSubject } from '#core/webhooks/service-event.ts';

const NOW = new Date('2026-11-27T12:00:05.000Z');
const subject: WebhookSubject = { kind: 'edit', id: 'job_1' };
const event = jobEventFor(
  {
    ...jobRecordFactory({
      id: 'job_1',
      status: 'succeeded',
      webhook: { url: 'https://h.example/x', events: ['edit.succeeded'] },
    }),
    version: 5,
  },
  NOW,
);

function claim(current: DeliveryLog | undefined, messageId: string) {
  return claimDelivery(current, {
    subject,
    event,
    url: 'https://h.example/x',
    messageId,
    now: NOW,
  });
}

function attempt(outcome: DeliveryAttempt['outcome'], n = 1, round = 1): DeliveryAttempt {
  return {
    round,
    attempt: n,
    at: NOW.toISOString(),
    durationMs: 3,
    statusCode: outcome === 'succeeded' ? 200 : 503,
    error: null,
    outcome,
    nextAttemptAt: null,
  };
}

describe('claimDelivery', () => {
  it('opens round 1 for a new event and lets its own message deliver again', () => {
    const first = claim(undefined, 'm1');
    const again = claim(first.log, 'm1');

    expect(first.claim).toBe('deliver');
    expect(first.log?.deliveries[0]).toMatchObject({
      id: 'evt_job_1_5',
      status: 'pending',
      round: 1,
      messageId: 'm1',
    });
    expect(again).toMatchObject({ claim: 'deliver', log: undefined });
  });

  it('drops a copy of the event carried by another message (at-least-once publishing)', () => {
    const log = claim(undefined, 'm1').log;

    expect(claim(log, 'm2')).toMatchObject({ claim: 'duplicate', log: undefined });
    const done = recordAttempt(log, {
      eventId: event.id,
      messageId: 'm1',
      attempt: attempt('succeeded'),
    });
    expect(claim(done, 'm3').claim).toBe('duplicate');
    expect(claim(done, 'm1').claim).toBe('finished');
  });

  it('starts round 2 for the next message once a redelivery is requested', () => {
    const log = recordAttempt(claim(undefined, 'm1').log, {
      eventId: event.id,
      messageId: 'm1',
      attempt: attempt('dead-lettered', 8),
    });
    const marked = requestRedelivery(log, subject, event.id, NOW).log;
    const next = claim(marked, 'm2');

    expect(next.claim).toBe('deliver');
    expect(next.delivery).toMatchObject({
      round: 2,
      messageId: 'm2',
      status: 'pending',
      redeliveryRequestedAt: null,
    });
    // The old message coming back later is now a duplicate.
    expect(claim(next.log, 'm1').claim).toBe('duplicate');
  });

  it(`keeps the newest ${MAX_DELIVERIES_KEPT} deliveries of a subject`, () => {
    let log: DeliveryLog | undefined;
    for (let version = 1; version <= MAX_DELIVERIES_KEPT + 1; version++) {
      log = claimDelivery(log, {
        subject,
        event: { ...event, id: `evt_job_1_${version}` },
        url: 'https://h.example/x',
        messageId: `m${version}`,
        now: NOW,
      }).log;
    }

    expect(log?.deliveries).toHaveLength(MAX_DELIVERIES_KEPT);
    expect(log?.deliveries[0]?.id).toBe('evt_job_1_2');
  });
});

describe('recordAttempt', () => {
  it('moves the status with each outcome and keeps the next attempt time', () => {
    let log = claim(undefined, 'm1').log;
    log = recordAttempt(log, {
      eventId: event.id,
      messageId: 'm1',
      attempt: { ...attempt('retry'), nextAttemptAt: '2026-11-27T12:00:10.000Z' },
    });
    expect(log?.deliveries[0]).toMatchObject({
      status: 'retrying',
      nextAttemptAt: '2026-11-27T12:00:10.000Z',
    });
    log = recordAttempt(log, { eventId: event.id, messageId: 'm1', attempt: attempt('failed', 2) });
    expect(log?.deliveries[0]).toMatchObject({ status: 'failed', nextAttemptAt: null });
    expect(log?.deliveries[0]?.attempts.map((a) => a.outcome)).toEqual(['retry', 'failed']);
  });

  it('keeps the attempt of a message that lost the delivery without changing its status', () => {
    const log = claim(undefined, 'm1').log;
    const after = recordAttempt(log, {
      eventId: event.id,
      messageId: 'other',
      attempt: attempt('succeeded'),
    });

    expect(after?.deliveries[0]?.status).toBe('pending');
    expect(after?.deliveries[0]?.attempts).toHaveLength(1);
  });
});

describe('requestRedelivery and deliveryLogKey', () => {
  it('answers NOT_FOUND for a delivery the subject does not have', () => {
    expect(() => requestRedelivery(undefined, subject, 'evt_x', NOW)).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });

  it('keys logs beside job records and batch records', () => {
    expect(deliveryLogKey({ kind: 'edit', id: 'job_1' })).toBe(
      'jobs/job_1/webhook-deliveries.json',
    );
    expect(deliveryLogKey({ kind: 'batch', id: 'bat_1' })).toBe(
      'batches/bat_1/webhook-deliveries.json',
    );
    expect(() => deliveryLogKey({ kind: 'edit', id: 'a/../b' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
