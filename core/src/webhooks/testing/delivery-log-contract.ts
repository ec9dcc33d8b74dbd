import { describe, expect, it } from 'vitest';
import { jobEventFor } from '../../jobs/job-event.ts';
import { jobRecordFactory, newJobId } from '../../testing/job-factory.ts';
import type { DeliveryAttempt, WebhookDeliveryLog } from '../delivery-log.ts';
import { claimDelivery, recordAttempt } from '../delivery-records.ts';
import type { WebhookSubject } from '../service-event.ts';

export interface DeliveryLogContractSubject {
  readonly log: WebhookDeliveryLog;
}

export interface DeliveryLogContractOptions {
  /**
   * True (the default) when the backend settles races (local locks, S3 conditional writes). False
   * for an emulator that ignores If-Match / If-None-Match: the race test is then not registered.
   */
  readonly settlesRaces?: boolean;
}

const NOW = new Date('2026-11-27T12:00:05.000Z');
const URL_SHOWN = 'https://hooks.example.com/vibe';

function eventOf(jobId: string, version: number) {
  return jobEventFor(
    {
      ...jobRecordFactory({
        id: jobId,
        status: 'succeeded',
        webhook: { url: `${URL_SHOWN}?token=t`, events: ['edit.succeeded'] },
      }),
      version,
    },
    NOW,
  );
}

function attemptOf(outcome: DeliveryAttempt['outcome'], attempt = 1): DeliveryAttempt {
  return {
    round: 1,
    attempt,
    at: NOW.toISOString(),
    durationMs: 12,
    statusCode: outcome === 'succeeded' ? 204 : 500,
    error: null,
    outcome,
    nextAttemptAt: outcome === 'retry' ? '2026-11-27T12:00:10.000Z' : null,
  };
}

/** The WebhookDeliveryLog contract: read-your-writes, no lost updates, subjects kept apart. */
export function describeDeliveryLogContract(
  name: string,
  factory: () => Promise<DeliveryLogContractSubject>,
  options: DeliveryLogContractOptions = {},
): void {
  describe(`WebhookDeliveryLog contract: ${name}`, () => {
    it('reads nothing for a subject without deliveries', async () => {
      const { log } = await factory();

      expect(await log.read({ kind: 'edit', id: newJobId() })).toBeUndefined();
    });

    it('stores a claimed delivery and its attempts, and reads them back', async () => {
      const { log } = await factory();
      const subject: WebhookSubject = { kind: 'edit', id: newJobId() };
      const event = eventOf(subject.id, 4);
      const input = { subject, event, url: URL_SHOWN, messageId: 'm-1', now: NOW };

      await log.update(subject, (current) => claimDelivery(current, input).log);
      await log.update(subject, (current) =>
        recordAttempt(current, {
          eventId: event.id,
          messageId: 'm-1',
          attempt: attemptOf('retry'),
        }),
      );
      await log.update(subject, (current) =>
        recordAttempt(current, {
          eventId: event.id,
          messageId: 'm-1',
          attempt: attemptOf('succeeded', 2),
        }),
      );
      const read = await log.read(subject);

      expect(read?.subject).toEqual(subject);
      expect(read?.deliveries).toHaveLength(1);
      expect(read?.deliveries[0]).toMatchObject({
        id: event.id,
        eventType: 'edit.succeeded',
        url: URL_SHOWN,
        status: 'succeeded',
        round: 1,
        messageId: 'm-1',
        event,
      });
      expect(
        read?.deliveries[0]?.attempts.map((a) => [a.attempt, a.outcome, a.statusCode]),
      ).toEqual([
        [1, 'retry', 500],
        [2, 'succeeded', 204],
      ]);
    });

    it('writes nothing when the change leaves the log as it is', async () => {
      const { log } = await factory();
      const subject: WebhookSubject = { kind: 'edit', id: newJobId() };

      const result = await log.update(subject, () => undefined);

      expect(result).toBeUndefined();
      expect(await log.read(subject)).toBeUndefined();
    });

    it('keeps the log of a job and of a batch with the same id apart', async () => {
      const { log } = await factory();
      const id = newJobId();
      const edit: WebhookSubject = { kind: 'edit', id };
      const event = eventOf(id, 2);

      await log.update(
        edit,
        (current) =>
          claimDelivery(current, { subject: edit, event, url: URL_SHOWN, messageId: 'm', now: NOW })
            .log,
      );

      expect(await log.read({ kind: 'batch', id })).toBeUndefined();
      expect((await log.read(edit))?.deliveries.map((d) => d.id)).toEqual([event.id]);
    });

    it('refuses a subject id outside the id alphabet before touching storage', async () => {
      const { log } = await factory();

      await expect(log.read({ kind: 'edit', id: '../escape' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    });

    if (options.settlesRaces ?? true) {
      it('loses none of several racing updates of one subject', async () => {
        const { log } = await factory();
        const subject: WebhookSubject = { kind: 'edit', id: newJobId() };
        const versions = [2, 3, 4, 5, 6, 7];

        await Promise.all(
          versions.map((version) =>
            log.update(
              subject,
              (current) =>
                claimDelivery(current, {
                  subject,
                  event: eventOf(subject.id, version),
                  url: URL_SHOWN,
                  messageId: `m-${version}`,
                  now: NOW,
                }).log,
            ),
          ),
        );
        const read = await log.read(subject);

        expect(read?.deliveries.map((d) => d.id).sort()).toEqual(
          versions.map((version) => `evt_${subject.id}_${version}`).sort(),
        );
      });
    }
  });
}
