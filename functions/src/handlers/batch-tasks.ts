/**
 * The batch task queue's Lambda entry (SQS-triggered, with ReportBatchItemFailures) and its
 * composition root. It builds the API's own dependencies (buildAwsApiDeps: the same S3 and SQS
 * adapters and batch ports), so a fan-out step submits exactly as `POST /v1/edits` does, and hands
 * each event to the task runner: the records it reports failed come back after the queue's
 * visibility timeout, and after its maxReceiveCount they are in the dead-letter queue.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AwsClients } from '#core/aws/aws-clients.ts';
import { parseConfig } from '#core/config/parse-config.ts';
import {
  type BatchTaskRunner,
  createBatchTaskRunnerFor,
} from '../api/batches/batch-task-runner.ts';
import { buildAwsApiDeps } from './api.ts';

export type BatchTasksHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * A handler that builds the runner from `env` on its first invocation and reuses it (one set of
 * SDK clients per container). A failed build is retried on the next invocation.
 * @throws ConfigError (on invocation) when the environment is invalid or has no
 * VIBE_BATCH_TASKS_QUEUE_URL (the runner needs batch ports); Lambda then retries the whole batch.
 */
export function createBatchTasksHandler(
  env: Readonly<Record<string, string | undefined>>,
  clients?: AwsClients,
): BatchTasksHandler {
  let runner: BatchTaskRunner | undefined;
  return async (event) => {
    runner ??= createBatchTaskRunnerFor(buildAwsApiDeps(parseConfig(env), clients));
    return runner.handleSqsRecords(
      event.Records.map((record) => ({ messageId: record.messageId, body: record.body })),
    );
  };
}

/** The Lambda handler (`functions/src/handlers/batch-tasks.handler`). */
export const handler: BatchTasksHandler = createBatchTasksHandler(process.env);
