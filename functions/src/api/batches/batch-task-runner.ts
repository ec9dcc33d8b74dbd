import { type BatchTask, parseBatchTask } from '#core/batches/batch-task.ts';
import { ConfigError } from '#core/errors.ts';
import type { Lease } from '#core/ports.ts';
import { type ApiContext, createApiContext } from '../api-context.ts';
import type { ApiDeps } from '../api-types.ts';
import { describeError } from '../http-errors.ts';
import type { BatchContext } from './batch-context.ts';
import { cancelChunks } from './cancel-batch.ts';
import { fanOutChunk, type StepOutcome } from './fan-out-chunk.ts';

/** What became of one delivery of a task. */
export type TaskResult = 'done' | 'continued' | 'retry';

/**
 * Runs the batch task queue (docs/batches.md): locally a loop in the API's process, in AWS a
 * Lambda on the queue (`handleSqsRecords`, with partial batch responses). Every task is at least
 * once: a step that fails is retried with backoff (its message comes back; after the queue's
 * maxReceiveCount it ends in the dead-letter queue), a step that ran out of time is continued by a
 * fresh task before its own is acked.
 */
export interface BatchTaskRunner {
  /** Runs one task's step. @throws what the step throws (the caller retries the task). */
  run(task: BatchTask): Promise<StepOutcome>;
  /** Handles one leased task: ack, continue with a new task, or release for a retry. Never throws. */
  handle(lease: Lease<BatchTask>): Promise<TaskResult>;
  /** Handles visible tasks until none is left (tests, one-shot local runs); resolves their count. */
  drain(): Promise<number>;
  /** Long-polls and handles tasks until `signal` aborts (local mode). */
  start(signal: AbortSignal): Promise<void>;
  /** An SQS event of the task queue (AWS Lambda): the ids of the records to deliver again. */
  handleSqsRecords(
    records: readonly { readonly messageId: string; readonly body: string }[],
  ): Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
}

/** Retry delay of a failed step: 5 s, 10 s, 20 s, … up to 15 minutes. */
export function taskRetryDelaySeconds(attempt: number): number {
  return Math.min(900, 5 * 2 ** Math.min(Math.max(attempt - 1, 0), 10));
}

export function createBatchTaskRunner(ctx: ApiContext, batches: BatchContext): BatchTaskRunner {
  // A step works at most stepBudgetMs, then saves and continues; the lease outlives it.
  const leaseSeconds = Math.min(43_200, Math.ceil((batches.limits.stepBudgetMs * 3) / 1000) + 30);

  const run = async (task: BatchTask): Promise<StepOutcome> => {
    if (task.kind === 'fan-out') return fanOutChunk(ctx, batches, task);
    const batch = await ctx.dependency('batch store get', () => batches.store.get(task.batchId));
    if (batch !== undefined) {
      await cancelChunks(ctx, batches, batch, { requestId: task.traceId, only: [task.chunk] });
    }
    return { kind: 'done' };
  };

  /** Runs a task; a step to continue is sent as a new task. Throws when the task must be retried. */
  const runAndContinue = async (task: BatchTask): Promise<TaskResult> => {
    const outcome = await run(task);
    if (outcome.kind === 'done') return 'done';
    await ctx.dependency('batch task send', () =>
      batches.tasks.send(task, { delaySeconds: outcome.delaySeconds }),
    );
    return 'continued';
  };

  const logFailure = (task: unknown, attempt: number, error: unknown) =>
    ctx.log({
      level: 'warn',
      msg: 'batch task failed; it will be retried',
      task,
      attempt,
      error: describeError(error),
    });

  const handle = async (lease: Lease<BatchTask>): Promise<TaskResult> => {
    let result: TaskResult;
    try {
      result = await runAndContinue(lease.message);
    } catch (error) {
      logFailure(lease.message, lease.attempt, error);
      try {
        await lease.release(taskRetryDelaySeconds(lease.attempt));
      } catch (releaseError) {
        // The message comes back when its lease runs out.
        ctx.log({
          level: 'warn',
          msg: 'batch task not released',
          error: describeError(releaseError),
        });
      }
      return 'retry';
    }
    try {
      await lease.ack();
    } catch (error) {
      // Delivered again later: every step is safe to repeat.
      ctx.log({ level: 'warn', msg: 'batch task not acked', error: describeError(error) });
    }
    return result;
  };

  return {
    run,
    handle,
    async drain() {
      let handled = 0;
      for (;;) {
        const leases = await batches.tasks.receive({
          maxMessages: 10,
          waitSeconds: 0,
          leaseSeconds,
        });
        if (leases.length === 0) return handled;
        for (const lease of leases) {
          await handle(lease);
          handled += 1;
        }
      }
    },
    async start(signal) {
      while (!signal.aborted) {
        let leases: Lease<BatchTask>[];
        try {
          leases = await batches.tasks.receive({
            maxMessages: 1,
            waitSeconds: 20,
            leaseSeconds,
            signal,
          });
        } catch (error) {
          ctx.log({
            level: 'warn',
            msg: 'batch tasks not received; retrying',
            error: describeError(error),
          });
          await new Promise((resolve) => setTimeout(resolve, 1000));
          continue;
        }
        for (const lease of leases) await handle(lease);
      }
    },
    async handleSqsRecords(records) {
      const batchItemFailures: { itemIdentifier: string }[] = [];
      for (const record of records) {
        let task: BatchTask;
        try {
          task = parseBatchTask(JSON.parse(record.body));
        } catch (error) {
          // Left to the redrive policy (dead-letter queue).
          ctx.log({
            level: 'error',
            msg: 'batch task does not parse',
            messageId: record.messageId,
            error: describeError(error),
          });
          batchItemFailures.push({ itemIdentifier: record.messageId });
          continue;
        }
        try {
          await runAndContinue(task);
        } catch (error) {
          logFailure(task, 0, error);
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures };
    },
  };
}

/**
 * A runner on the app's own dependencies (the local root, the task queue's Lambda): the same
 * context the API builds, so that fan-out steps submit exactly as the edits route does.
 * @throws ConfigError when `deps` has no batch ports or an invalid configuration.
 */
export function createBatchTaskRunnerFor(deps: ApiDeps): BatchTaskRunner {
  const ctx = createApiContext(deps);
  if (ctx.batches === undefined) {
    throw new ConfigError(
      'Expected batch ports (ApiDeps.batches) for the batch task runner but none were given',
    );
  }
  return createBatchTaskRunner(ctx, ctx.batches);
}

/**
 * Runs `runner.start` in the background (local mode); `stop` ends the long poll and waits for the
 * task in hand to finish.
 */
export function runBatchTasksInBackground(runner: BatchTaskRunner): { stop(): Promise<void> } {
  const abort = new AbortController();
  const loop = runner.start(abort.signal);
  return {
    stop: async () => {
      abort.abort();
      await loop;
    },
  };
}
