import { ValidationError } from '../errors.ts';
import type { ReceiveOptions, SendOptions } from '../ports.ts';

/**
 * The limits of the JobQueue port. They are SQS's limits, enforced by every adapter so that code
 * which works against the local queue also works against SQS.
 */
export const QUEUE_LIMITS = {
  maxMessages: { min: 1, max: 10 },
  waitSeconds: { min: 0, max: 20 },
  leaseSeconds: { min: 1, max: 43_200 },
  /** extend(): SQS accepts 0, which is a release; the port keeps the two apart. */
  extendSeconds: { min: 1, max: 43_200 },
  releaseDelaySeconds: { min: 0, max: 43_200 },
  delaySeconds: { min: 0, max: 900 },
} as const;

type LimitName = keyof typeof QUEUE_LIMITS;

/** Throws ValidationError unless `value` is an integer within the named limit. */
export function checkQueueInteger(name: LimitName, value: unknown): number {
  const { min, max } = QUEUE_LIMITS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "${name}" to be an integer from ${min} to ${max} but received ${String(value)}`,
      { details: { field: name, min, max, received: value } },
    );
  }
  return value;
}

export function checkReceiveOptions(options: ReceiveOptions): void {
  checkQueueInteger('maxMessages', options.maxMessages);
  checkQueueInteger('waitSeconds', options.waitSeconds);
  checkQueueInteger('leaseSeconds', options.leaseSeconds);
}

export function checkSendOptions(options: SendOptions | undefined): number {
  return options?.delaySeconds === undefined
    ? 0
    : checkQueueInteger('delaySeconds', options.delaySeconds);
}
