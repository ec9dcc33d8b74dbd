import { describe, expect, it } from 'vitest';
import { type JobEvent, jobEventFor } from '../jobs/job-event.ts';
import type { EventQueue } from '../ports.ts';
import { jobRecordFactory } from './job-factory.ts';

export interface EventQueueContractSubject {
  /** A fresh, empty event queue. */
  readonly events: EventQueue;
  /** Lets `ms` pass for the queue's clock: a fake clock step, or a real sleep. */
  advance(ms: number): Promise<void>;
}

const receive = { maxMessages: 10, waitSeconds: 0, leaseSeconds: 1 } as const;

function eventFactory(status: JobEvent['job']['status'] = 'succeeded'): JobEvent {
  return jobEventFor(
    { ...jobRecordFactory(), status, version: 3 },
    new Date('2026-11-27T12:00:05.000Z'),
  );
}

/** The EventQueue contract: at least once, every delivery of an event with the same stable id. */
export function describeEventQueueContract(
  name: string,
  factory: () => Promise<EventQueueContractSubject>,
): void {
  describe(`EventQueue contract: ${name}`, () => {
    it('delivers a published event with its id and content', async () => {
      const { events } = await factory();
      const event = eventFactory();

      await events.publish(event);
      const leases = await events.receive(receive);

      expect(leases.map((lease) => lease.message)).toEqual([event]);
      expect(event.id).toBe(`evt_${event.job.id}_3`);
      expect(event.type).toBe('edit.succeeded');
    });

    it('delivers a republished event again under the same id, for receivers to deduplicate', async () => {
      const { events } = await factory();
      const event = eventFactory('failed');

      await events.publish(event);
      await events.publish(event);
      const leases = await events.receive(receive);

      expect(leases).toHaveLength(2);
      expect(leases.map((lease) => lease.message.id)).toEqual([event.id, event.id]);
    });

    it('redelivers an unacked event after its lease with the same id, and never after ack', async () => {
      const { events, advance } = await factory();
      const event = eventFactory();
      await events.publish(event);
      await events.receive(receive);

      await advance(1_500);
      const [again] = await events.receive(receive);
      await again?.ack();
      await advance(1_500);

      expect(again?.message.id).toBe(event.id);
      expect(again?.attempt).toBe(2);
      expect(await events.receive(receive)).toEqual([]);
    });

    it('refuses to publish an invalid event with ValidationError', async () => {
      const { events } = await factory();
      const invalid = { ...eventFactory(), type: 'edit.exploded' } as unknown as JobEvent;

      await expect(events.publish(invalid)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await events.receive(receive)).toEqual([]);
    });
  });
}
