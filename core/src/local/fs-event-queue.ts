import { QueueEventQueue } from '../events/queue-event-queue.ts';
import type { JobEvent } from '../jobs/job-event.ts';
import { parseJobEvent } from '../jobs/job-event.ts';
import { FsJobQueue, type FsJobQueueOptions } from './fs-job-queue.ts';

/** The local event queue: an FsJobQueue of validated job events under `dir`. */
export function createFsEventQueue(
  options: Omit<FsJobQueueOptions<JobEvent>, 'parse'>,
): QueueEventQueue {
  return new QueueEventQueue(new FsJobQueue({ ...options, parse: parseJobEvent }));
}
