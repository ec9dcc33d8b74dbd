import { describe, expect, it } from 'vitest';
import type { JobMessage } from '../jobs/job-message.ts';
import type { JobQueue } from '../ports.ts';
import { jobMessageFactory } from './job-factory.ts';

export interface JobQueueContractSubject {
  /** A fresh, empty queue of job messages. */
  readonly queue: JobQueue<JobMessage>;
  /** The queue's dead-letter queue. */
  readonly deadLetter: JobQueue<JobMessage>;
  /** The redrive policy's maxReceiveCount of `queue`; the suite expects 2. */
  readonly maxReceiveCount: number;
  /** Lets `ms` pass for the queue's clock: a fake clock step, or a real sleep. */
  advance(ms: number): Promise<void>;
}

const LEASE = 1;
/** Comfortably more than one lease, for real clocks on busy machines. */
const PAST_LEASE_MS = 1_500;
const now = { receive: { maxMessages: 10, waitSeconds: 0, leaseSeconds: LEASE } } as const;

/**
 * The JobQueue contract: SQS semantics (lease = visibility timeout). `factory` runs once per test
 * and must return fresh queues. With a real clock the suite takes about 12 s (1 s leases).
 */
export function describeJobQueueContract(
  name: string,
  factory: () => Promise<JobQueueContractSubject>,
): void {
  describe(`JobQueue contract: ${name}`, () => {
    it('delivers a sent message once, with attempt 1 and its content', async () => {
      const { queue } = await factory();
      const message = jobMessageFactory();

      await queue.send(message);
      const leases = await queue.receive(now.receive);

      expect(leases).toHaveLength(1);
      expect(leases[0]?.message).toEqual(message);
      expect(leases[0]?.attempt).toBe(1);
      expect(leases[0]?.messageId).not.toBe('');
      expect(leases[0]?.receivedAt).toBeInstanceOf(Date);
    });

    it('hides a received message until its lease runs out, then redelivers it with attempt + 1', async () => {
      const { queue, advance } = await factory();
      const message = jobMessageFactory();
      await queue.send(message);
      const [first] = await queue.receive(now.receive);

      const whileLeased = await queue.receive(now.receive);
      await advance(PAST_LEASE_MS);
      const afterLease = await queue.receive(now.receive);

      expect(whileLeased).toEqual([]);
      expect(afterLease).toHaveLength(1);
      expect(afterLease[0]?.message).toEqual(message);
      expect(afterLease[0]?.messageId).toBe(first?.messageId);
      expect(afterLease[0]?.attempt).toBe(2);
    });

    it('never redelivers an acked message', async () => {
      const { queue, advance } = await factory();
      await queue.send(jobMessageFactory());
      const [lease] = await queue.receive(now.receive);

      await lease?.ack();
      await lease?.ack(); // idempotent
      await advance(PAST_LEASE_MS);

      expect(await queue.receive(now.receive)).toEqual([]);
    });

    it('keeps a message hidden past its first lease when the lease is extended', async () => {
      const { queue, advance } = await factory();
      await queue.send(jobMessageFactory());
      const [lease] = await queue.receive(now.receive);

      await lease?.extend(2);
      await advance(PAST_LEASE_MS);
      const stillHidden = await queue.receive(now.receive);
      await advance(1_000);
      const visibleAgain = await queue.receive(now.receive);

      expect(stillHidden).toEqual([]);
      expect(visibleAgain).toHaveLength(1);
      expect(visibleAgain[0]?.attempt).toBe(2);
    });

    it('makes a released message visible after the release delay, and at once for 0', async () => {
      const { queue, advance } = await factory();
      const held = { ...now.receive, leaseSeconds: 30 };
      await queue.send(jobMessageFactory());
      const [first] = await queue.receive(held);

      await first?.release(1);
      const duringDelay = await queue.receive(now.receive);
      await advance(PAST_LEASE_MS);
      const [afterDelay] = await queue.receive(held);
      await afterDelay?.ack();
      await queue.send(jobMessageFactory());
      const [second] = await queue.receive(held);
      await second?.release(0);
      const [atOnce] = await queue.receive(held);

      expect(duringDelay).toEqual([]);
      expect(afterDelay?.messageId).toBe(first?.messageId);
      expect(afterDelay?.attempt).toBe(2);
      expect(atOnce?.messageId).toBe(second?.messageId);
      expect(atOnce?.attempt).toBe(2);
    });

    it('holds back a message sent with delaySeconds until the delay has passed', async () => {
      const { queue, advance } = await factory();
      const message = jobMessageFactory();

      await queue.send(message, { delaySeconds: 1 });
      const early = await queue.receive(now.receive);
      await advance(PAST_LEASE_MS);
      const late = await queue.receive(now.receive);

      expect(early).toEqual([]);
      expect(late.map((lease) => lease.message)).toEqual([message]);
    });

    it('receives at most maxMessages messages per call', async () => {
      const { queue } = await factory();
      for (let i = 0; i < 3; i += 1) await queue.send(jobMessageFactory());

      const firstBatch = await queue.receive({ ...now.receive, maxMessages: 2 });
      const secondBatch = await queue.receive({ ...now.receive, maxMessages: 2 });

      expect(firstBatch).toHaveLength(2);
      expect(secondBatch).toHaveLength(1);
      const ids = new Set([...firstBatch, ...secondBatch].map((lease) => lease.message.jobId));
      expect(ids.size).toBe(3);
    });

    it('returns early from a long poll when a message arrives', async () => {
      const { queue } = await factory();
      const message = jobMessageFactory();
      const started = Date.now();

      const polling = queue.receive({ maxMessages: 1, waitSeconds: 10, leaseSeconds: 30 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await queue.send(message);
      const leases = await polling;

      expect(leases.map((lease) => lease.message)).toEqual([message]);
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('resolves a long poll with [] after waitSeconds when nothing arrives', async () => {
      const { queue } = await factory();
      const started = Date.now();

      const leases = await queue.receive({ maxMessages: 1, waitSeconds: 1, leaseSeconds: 30 });

      expect(leases).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('resolves a long poll with [] soon after its signal aborts', async () => {
      const { queue } = await factory();
      const controller = new AbortController();
      const started = Date.now();

      const polling = queue.receive({
        maxMessages: 1,
        waitSeconds: 15,
        leaseSeconds: 30,
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 200);

      expect(await polling).toEqual([]);
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
      const { queue, deadLetter, maxReceiveCount, advance } = await factory();
      const message = jobMessageFactory();
      await queue.send(message);

      const attempts: number[] = [];
      for (let i = 0; i < maxReceiveCount; i += 1) {
        const leases = await queue.receive(now.receive);
        attempts.push(...leases.map((lease) => lease.attempt));
        await advance(PAST_LEASE_MS);
      }
      const afterLimit = await queue.receive(now.receive);
      const dead = await deadLetter.receive(now.receive);

      expect(maxReceiveCount).toBe(2);
      expect(attempts).toEqual([1, 2]);
      expect(afterLimit).toEqual([]);
      expect(dead.map((lease) => lease.message)).toEqual([message]);
    });

    it('rejects extend and release with ConflictError once the lease is lost', async () => {
      const { queue, advance } = await factory();
      await queue.send(jobMessageFactory());
      await queue.send(jobMessageFactory());
      const [acked, expired] = await queue.receive({ ...now.receive, maxMessages: 2 });

      await acked?.ack();
      await advance(PAST_LEASE_MS);
      const [takenOver] = await queue.receive(now.receive);

      await expect(acked?.extend(5)).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(expired?.extend(5)).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(expired?.release(0)).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(takenOver?.messageId).toBe(expired?.messageId);
      expect(takenOver?.attempt).toBe(2);
    });

    it('rejects out-of-range options and invalid messages with ValidationError', async () => {
      const { queue } = await factory();
      const invalid = { ...jobMessageFactory(), v: 2 } as unknown as JobMessage;

      const refusals = [
        queue.receive({ maxMessages: 11, waitSeconds: 0, leaseSeconds: 1 }),
        queue.receive({ maxMessages: 1, waitSeconds: 21, leaseSeconds: 1 }),
        queue.receive({ maxMessages: 1, waitSeconds: 0, leaseSeconds: 0 }),
        queue.send(jobMessageFactory(), { delaySeconds: 901 }),
        queue.send(invalid),
      ];

      for (const refusal of refusals) {
        await expect(refusal).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
      expect(await queue.receive(now.receive)).toEqual([]);
    });
  });
}
