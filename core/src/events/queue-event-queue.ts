import { type JobEvent, parseJobEvent } from '../jobs/job-event.ts';
import type { EventQueue, JobQueue, Lease, ReceiveOptions } from '../ports.ts';
import { parseMessage } from '../queue/message-parser.ts';

/**
 * An EventQueue on top of any JobQueue of events (FsJobQueue locally, SqsJobQueue in AWS). Publishing
 * validates the event, so nothing malformed reaches the webhook deliverer; consumers receive leases
 * exactly as from a job queue and deduplicate on `event.id`.
 */
export class QueueEventQueue implements EventQueue {
  readonly #queue: JobQueue<JobEvent>;

  constructor(queue: JobQueue<JobEvent>) {
    this.#queue = queue;
  }

  async publish(event: JobEvent): Promise<void> {
    await this.#queue.send(parseMessage(parseJobEvent, event, 'the event to publish'));
  }

  receive(options: ReceiveOptions): Promise<Lease<JobEvent>[]> {
    return this.#queue.receive(options);
  }
}
