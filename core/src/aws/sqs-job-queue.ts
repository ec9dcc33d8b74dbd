import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ConflictError } from '../errors.ts';
import type { JobQueue, Lease, ReceiveOptions, SendOptions } from '../ports.ts';
import { type MessageParser, parseMessage } from '../queue/message-parser.ts';
import { checkQueueInteger, checkReceiveOptions, checkSendOptions } from '../queue/queue-limits.ts';
import { dependencyError, hasAwsErrorName, isAbortError } from './aws-errors.ts';

export interface SqsJobQueueOptions<T> {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** Validates a message on send and on receive (e.g. `parseJobMessage`). */
  readonly parse: MessageParser<T>;
  /**
   * Called for a message whose body no longer parses. It is not returned and not deleted: it stays
   * hidden for the lease and, after maxReceiveCount receives, SQS moves it to the dead-letter queue.
   */
  readonly onInvalidMessage?: (error: unknown, messageId: string) => void;
}

/**
 * The JobQueue port on an SQS standard queue. The adapter is thin: the lease is the visibility
 * timeout (ReceiveMessage VisibilityTimeout, ChangeMessageVisibility), the attempt is
 * ApproximateReceiveCount, ack is DeleteMessage, the dead-letter move is the queue's redrive
 * policy. SDK failures become DependencyError (retryable) with the SDK error as `cause`.
 */
export class SqsJobQueue<T> implements JobQueue<T> {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #parse: MessageParser<T>;
  readonly #onInvalidMessage: (error: unknown, messageId: string) => void;

  constructor(options: SqsJobQueueOptions<T>) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#parse = options.parse;
    this.#onInvalidMessage = options.onInvalidMessage ?? (() => {});
  }

  async send(message: T, options?: SendOptions): Promise<void> {
    const delaySeconds = checkSendOptions(options);
    const body = parseMessage(this.#parse, message, 'the message to send');
    try {
      await this.#client.send(
        new SendMessageCommand({
          QueueUrl: this.#queueUrl,
          MessageBody: JSON.stringify(body),
          ...(delaySeconds === 0 ? {} : { DelaySeconds: delaySeconds }),
        }),
      );
    } catch (error) {
      throw dependencyError('SQS SendMessage', error, { queueUrl: this.#queueUrl });
    }
  }

  async receive(options: ReceiveOptions): Promise<Lease<T>[]> {
    checkReceiveOptions(options);
    if (options.signal?.aborted) return [];
    let messages: Message[];
    try {
      const out = await this.#client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#queueUrl,
          MaxNumberOfMessages: options.maxMessages,
          WaitTimeSeconds: options.waitSeconds,
          VisibilityTimeout: options.leaseSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
        options.signal === undefined ? {} : { abortSignal: options.signal },
      );
      messages = out.Messages ?? [];
    } catch (error) {
      if (options.signal?.aborted || isAbortError(error)) return [];
      throw dependencyError('SQS ReceiveMessage', error, { queueUrl: this.#queueUrl });
    }
    const receivedAt = new Date();
    const leases: Lease<T>[] = [];
    for (const raw of messages) {
      const lease = this.#toLease(raw, receivedAt);
      if (lease !== undefined) leases.push(lease);
    }
    return leases;
  }

  #toLease(raw: Message, receivedAt: Date): Lease<T> | undefined {
    const messageId = raw.MessageId ?? '';
    const receiptHandle = raw.ReceiptHandle;
    if (receiptHandle === undefined) return undefined;
    let message: T;
    try {
      message = parseMessage(this.#parse, JSON.parse(raw.Body ?? ''), `SQS message ${messageId}`);
    } catch (error) {
      this.#onInvalidMessage(error, messageId);
      return undefined;
    }
    const attempt = Number(raw.Attributes?.ApproximateReceiveCount ?? '1');
    return new SqsLease(this.#client, this.#queueUrl, {
      messageId,
      receiptHandle,
      message,
      attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
      receivedAt,
    });
  }
}

class SqsLease<T> implements Lease<T> {
  readonly messageId: string;
  readonly message: T;
  readonly attempt: number;
  readonly receivedAt: Date;
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #receiptHandle: string;
  /** Set after ack or release: this handle no longer holds the message. */
  #done = false;

  constructor(
    client: SQSClient,
    queueUrl: string,
    init: {
      messageId: string;
      receiptHandle: string;
      message: T;
      attempt: number;
      receivedAt: Date;
    },
  ) {
    this.#client = client;
    this.#queueUrl = queueUrl;
    this.#receiptHandle = init.receiptHandle;
    this.messageId = init.messageId;
    this.message = init.message;
    this.attempt = init.attempt;
    this.receivedAt = init.receivedAt;
  }

  async ack(): Promise<void> {
    if (this.#done) return;
    try {
      await this.#client.send(
        new DeleteMessageCommand({ QueueUrl: this.#queueUrl, ReceiptHandle: this.#receiptHandle }),
      );
    } catch (error) {
      // A handle that lost its message is not an error: the message's next holder acks it.
      if (!hasAwsErrorName(error, 'ReceiptHandleIsInvalid')) {
        throw dependencyError('SQS DeleteMessage', error, { queueUrl: this.#queueUrl });
      }
    }
    this.#done = true;
  }

  async extend(seconds: number): Promise<void> {
    checkQueueInteger('extendSeconds', seconds);
    await this.#changeVisibility(seconds, 'extend');
  }

  async release(delaySeconds: number): Promise<void> {
    checkQueueInteger('releaseDelaySeconds', delaySeconds);
    await this.#changeVisibility(delaySeconds, 'release');
    this.#done = true;
  }

  async #changeVisibility(seconds: number, operation: string): Promise<void> {
    if (this.#done) throw this.#lost(operation, undefined);
    try {
      await this.#client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.#queueUrl,
          ReceiptHandle: this.#receiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    } catch (error) {
      if (hasAwsErrorName(error, 'MessageNotInflight', 'ReceiptHandleIsInvalid')) {
        throw this.#lost(operation, error);
      }
      throw dependencyError('SQS ChangeMessageVisibility', error, { queueUrl: this.#queueUrl });
    }
  }

  #lost(operation: string, cause: unknown): ConflictError {
    return new ConflictError(
      `Expected to hold the lease on SQS message ${this.messageId} to ${operation} it, but the lease was lost (acked, released, or expired and received again)`,
      { cause, details: { messageId: this.messageId, queueUrl: this.#queueUrl } },
    );
  }
}
