import type { JobMessage } from '#core/jobs/job-message.ts';
import type { JobRecord, Lane } from '#core/jobs/job-record.ts';
import { estimateAhead, issuedTickets, readTicket } from '#core/limits/lane-tickets.ts';
import type { JobQueue } from '#core/ports.ts';
import type { ApiContext } from '../api-context.ts';
import { describeError } from '../http-errors.ts';

/** Messages waiting (visible) in a lane's queue. */
export type QueueDepth = (lane: Lane) => Promise<number>;

/** Where a queued job stands in its lane. */
export interface QueuePosition {
  /** 1 = next to run. */
  readonly position: number;
  /** Jobs estimated to run before it. */
  readonly ahead: number;
  /** Messages waiting in the lane, this job's included. */
  readonly waiting: number;
}

interface CountsMessages {
  depth(): Promise<{ readonly visible: number }>;
}

function countsMessages(queue: unknown): queue is CountsMessages {
  return typeof (queue as Partial<CountsMessages>).depth === 'function';
}

/** The local queues count their files (FsJobQueue.depth): exact at the moment of the call. */
export function defaultQueueDepth(
  queues: Readonly<Record<Lane, JobQueue<JobMessage>>>,
): QueueDepth | undefined {
  if (!Object.values(queues).every(countsMessages)) return undefined;
  return async (lane) => {
    const queue = queues[lane] as unknown as CountsMessages;
    return (await queue.depth()).visible;
  };
}

/**
 * A queued job's place in its lane (DESIGN §6): the lane's depth and the tickets drawn after the
 * job (core/src/limits/lane-tickets.ts). An estimate: lanes are served about in order; on SQS the
 * depth is ApproximateNumberOfMessages (eventually consistent, about a minute behind under load);
 * retried and canceled jobs that still hold a message count as waiting. Null when the job is not
 * queued, drew no ticket, the depth is unknown, or a read fails (logged, never an error).
 */
export async function queuePosition(
  ctx: ApiContext,
  record: JobRecord,
): Promise<QueuePosition | null> {
  const depthOf = ctx.queueDepth;
  if (record.status !== 'queued' || depthOf === undefined) return null;
  const usage = ctx.access.usage;
  try {
    const [ticket, issued, waiting] = await ctx.dependency('queue position', () =>
      Promise.all([
        readTicket(usage, record.id),
        issuedTickets(usage, record.lane),
        depthOf(record.lane),
      ]),
    );
    if (ticket === undefined) return null;
    const ahead = estimateAhead(Math.max(waiting, 1), issued, ticket);
    return { position: ahead + 1, ahead, waiting: Math.max(waiting, 1) };
  } catch (error) {
    ctx.log({
      level: 'warn',
      msg: 'queue position unknown',
      jobId: record.id,
      error: describeError(error),
    });
    return null;
  }
}
