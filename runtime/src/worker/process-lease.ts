import type { JobMessage } from '#core/jobs/job-message.ts';
import type { JobRecord } from '#core/jobs/job-record.ts';
import { isTerminalStatus, type JobStatus } from '#core/jobs/job-status.ts';
import { imageContentType, outputKey } from '#core/jobs/storage-keys.ts';
import type { BlobStore, EventQueue, JobStore, Lease } from '#core/ports.ts';
import { jobProgressEvent, ProgressEventGate } from '#core/webhooks/progress-events.ts';
import type { Engine, ModelInfo } from './engine.ts';
import { classifyFailure, type Failure } from './failure-policy.ts';
import { startHeartbeat } from './heartbeat.ts';
import { type AbortReason, JobAbort } from './job-abort.ts';
import { JobRecorder } from './job-recorder.ts';
import { ended, markRunning, requeued, succeeded, withProgress } from './job-records.ts';
import type { LeaseOutcome, LeaseResult } from './lease-result.ts';
import { LeaseSettler } from './lease-settler.ts';
import { ProgressReporter } from './progress-reporter.ts';
import { requestForJob } from './request-for-job.ts';
import { type EditRun, runEdit } from './run-edit.ts';
import { silentLog, type WorkerLog } from './worker-log.ts';
import type { WorkerSettings } from './worker-settings.ts';

export type { LeaseOutcome, LeaseResult } from './lease-result.ts';

export interface ProcessLeaseDeps {
  readonly store: JobStore;
  readonly blobs: BlobStore;
  readonly events: EventQueue;
  readonly engine: Engine;
  /** What `engine.start()` resolved with; every run names it in the job record. */
  readonly model: ModelInfo;
  readonly settings: Pick<
    WorkerSettings,
    'leaseSeconds' | 'maxAttempts' | 'progressIntervalMs' | 'backoffSeconds'
  >;
  readonly log?: WorkerLog;
  /** The clock of the job record's timestamps. @default Date.now */
  readonly now?: () => number;
  /** Fires when the worker stops draining: the run is abandoned and the job goes back. */
  readonly shutdown?: AbortSignal;
}

/**
 * Handles one delivery of a job message (the retry decision of style guide 2.3, as a plain function
 * over ports). It reads the record and skips what must not run (terminal: acked; deadline passed:
 * `expired`), marks the job running, heartbeats the lease, runs the engine with throttled progress
 * writes that double as the cancel check, stores the output under the job's key before marking it
 * succeeded, and acks. Permanent errors fail the job at once; retryable ones requeue it with backoff
 * until `maxAttempts`, then fail it, so a job is marked failed before its message can reach the
 * dead-letter queue. Never throws: every outcome is a LeaseResult. See docs/worker.md.
 */
export function processLease(
  lease: Lease<JobMessage>,
  deps: ProcessLeaseDeps,
): Promise<LeaseResult> {
  return new LeaseProcessor(lease, deps).run();
}

class LeaseProcessor {
  readonly #lease: Lease<JobMessage>;
  readonly #deps: ProcessLeaseDeps;
  readonly #log: WorkerLog;
  readonly #now: () => number;
  readonly #recorder: JobRecorder;
  readonly #abort = new JobAbort();
  readonly #settle: LeaseSettler;
  /** Throttles `edit.progress` events (core/src/webhooks/progress-events.ts). */
  readonly #progressEvents = new ProgressEventGate();
  readonly #stopHeartbeat: () => void;
  #attempt: number;
  /** The record as this delivery marked it running; undefined until then. */
  #running: JobRecord | undefined;

  constructor(lease: Lease<JobMessage>, deps: ProcessLeaseDeps) {
    this.#lease = lease;
    this.#deps = deps;
    this.#log = deps.log ?? silentLog;
    this.#now = deps.now ?? Date.now;
    this.#attempt = lease.attempt;
    this.#recorder = new JobRecorder({ ...deps, now: this.#now, log: this.#log });
    const heartbeat = startHeartbeat(lease, {
      leaseSeconds: deps.settings.leaseSeconds,
      onLost: (error) => {
        this.#log.warn(
          'lease lost: stopping the job without writing a result',
          this.#fields({ error }),
        );
        this.#abort.abort('lease-lost');
      },
      onError: (error) =>
        this.#log.warn('heartbeat failed; retrying at the next beat', this.#fields({ error })),
    });
    this.#stopHeartbeat = heartbeat.stop;
    this.#settle = new LeaseSettler(lease, heartbeat, this.#log);
  }

  async run(): Promise<LeaseResult> {
    const shutdown = this.#deps.shutdown;
    const onShutdown = (): void => this.#abort.abort('shutdown');
    if (shutdown?.aborted) onShutdown();
    shutdown?.addEventListener('abort', onShutdown, { once: true });
    try {
      return await this.#process();
    } catch (error) {
      return await this.#fail(error);
    } finally {
      shutdown?.removeEventListener('abort', onShutdown);
      this.#stopHeartbeat();
    }
  }

  async #process(): Promise<LeaseResult> {
    const { jobId } = this.#lease.message;
    const job = await this.#deps.store.get(jobId);
    if (job === undefined) {
      this.#log.warn('no job record for the message; acking it', this.#fields());
      await this.#settle.ack();
      return this.#result('skipped');
    }
    if (isTerminalStatus(job.status)) {
      // A duplicate, or a job canceled while queued. Publishing its terminal event again (same id)
      // covers a worker that wrote the state but died before its event went out.
      return this.#finish('skipped', await this.#recorder.publish(job));
    }
    if (
      job.status === 'queued' &&
      job.deadline !== null &&
      Date.parse(job.deadline) <= this.#now()
    ) {
      return this.#end(['queued'], 'expired', null);
    }
    if (job.status === 'running') {
      // The previous holder died mid-run (the lease came back): re-run it, unless that spends the budget.
      const runsSoFar = Math.max(this.#lease.attempt - 1, job.attempts);
      if (runsSoFar >= this.#deps.settings.maxAttempts) {
        return this.#end(['running'], 'failed', {
          code: 'INFERENCE_FAILED',
          message: `Expected job ${jobId} to finish within ${this.#deps.settings.maxAttempts} attempts but its worker stopped without a result ${runsSoFar} times (the lease ran out each time); not retrying`,
        });
      }
    }
    if (this.#abort.reason !== undefined) return this.#aborted(this.#abort.reason);

    const marked = await this.#recorder.write(jobId, ['queued', 'running'], (current, at) =>
      markRunning(current, at, this.#deps.model),
    );
    if (!marked.written) return this.#movedOn(marked.status);
    this.#running = marked.job;
    this.#attempt = Math.max(this.#lease.attempt, marked.job.attempts);
    this.#log.info('job running', this.#fields({ steps: marked.job.parameters.steps }));

    const input = await this.#deps.blobs.get(marked.job.input.key);
    const run = await runEdit(this.#deps.engine, requestForJob(marked.job, input.body), {
      abort: this.#abort,
      reporter: this.#reporter(jobId),
    });
    return run.done ? this.#succeed(run) : this.#aborted(run.reason);
  }

  /** Best effort, like the progress write itself: a failed publish is logged, the job goes on. */
  async #publishProgress(job: JobRecord): Promise<void> {
    const now = this.#now();
    if (!this.#progressEvents.take(job, now)) return;
    try {
      await this.#deps.events.publish(jobProgressEvent(job, new Date(now)));
    } catch (error) {
      this.#log.warn('could not publish the progress event', this.#fields({ error }));
    }
  }

  #reporter(jobId: string): ProgressReporter {
    let movedTo: JobStatus | undefined;
    return new ProgressReporter({
      intervalMs: this.#deps.settings.progressIntervalMs,
      now: this.#now,
      write: async ({ step, steps }) => {
        const write = await this.#recorder.write(jobId, ['running'], (current) =>
          withProgress(current, step, steps),
        );
        if (!write.written) movedTo = write.status;
        else await this.#publishProgress(write.job);
        return write.written;
      },
      onMovedOn: () => this.#abort.abort('moved-on', movedTo),
      onError: (error) => this.#log.warn('progress write failed', this.#fields({ error })),
    });
  }

  async #succeed(run: Extract<EditRun, { done: true }>): Promise<LeaseResult> {
    const { jobId } = this.#lease.message;
    const key = outputKey(jobId, run.result.format);
    // The output first: a record that says `succeeded` always has its image.
    await this.#deps.blobs.put(key, run.result.image, {
      contentType: imageContentType(run.result.format),
    });
    const done = await this.#recorder.write(jobId, ['running'], (current, at) =>
      succeeded(current, at, { key, result: run.result, inferenceMs: run.inferenceMs }),
    );
    if (!done.written) {
      // Canceled at the last moment: no output for a canceled job. (A `succeeded` winner wrote
      // the same key, so its output stays.)
      if (done.status !== 'succeeded') await this.#deleteQuietly(key);
      return this.#movedOn(done.status);
    }
    this.#log.info('job succeeded', this.#fields({ key, metrics: done.job.metrics }));
    return this.#finish('succeeded', done.published);
  }

  async #aborted(reason: AbortReason): Promise<LeaseResult> {
    if (reason === 'lease-lost') {
      this.#settle.abandon();
      return this.#result('lease-lost');
    }
    if (reason === 'moved-on') return this.#movedOn(this.#abort.movedTo ?? 'canceled');
    // Shutdown: hand the job to another worker now, counted as an attempt (the store's rule).
    if (this.#running !== undefined) {
      const back = await this.#recorder.write(this.#running.id, ['running'], requeued);
      if (!back.written) return this.#movedOn(back.status);
    }
    await this.#settle.release(0);
    this.#log.info('job released for another worker (shutdown)', this.#fields());
    return this.#result('released');
  }

  async #fail(error: unknown): Promise<LeaseResult> {
    const failure = classifyFailure(error);
    if (this.#abort.reason === 'lease-lost') return this.#aborted('lease-lost');
    if (this.#abort.reason === 'shutdown') {
      this.#log.warn(
        'could not requeue the job at shutdown; releasing it',
        this.#fields({ error }),
      );
      await this.#settle.release(0);
      return this.#result('released');
    }
    this.#log.warn('job attempt failed', this.#fields({ kind: failure.kind, error }));
    try {
      if (this.#running === undefined) return await this.#retryLater(failure);
      if (failure.kind === 'retryable' && this.#attempt < this.#deps.settings.maxAttempts) {
        const back = await this.#recorder.write(this.#running.id, ['running'], requeued);
        if (!back.written) return await this.#movedOn(back.status);
        return await this.#retryLater(failure);
      }
      const status = failure.kind === 'canceled' ? 'canceled' : 'failed';
      const message =
        failure.kind === 'retryable'
          ? `${failure.message} (attempt ${this.#attempt} of ${this.#deps.settings.maxAttempts}; not retrying)`
          : failure.message;
      return await this.#end(['running'], status, { code: failure.code, message });
    } catch (writeError) {
      // The store is down too: the message comes back later and the record decides then.
      this.#log.error('could not record the failure', this.#fields({ error: writeError }));
      return this.#retryLater(failure);
    }
  }

  async #retryLater(failure: Failure): Promise<LeaseResult> {
    const delaySeconds = this.#deps.settings.backoffSeconds(this.#attempt);
    await this.#settle.release(delaySeconds);
    this.#log.info('job will be retried', this.#fields({ delaySeconds, code: failure.code }));
    return this.#result('retried', { code: failure.code, message: failure.message }, delaySeconds);
  }

  /** Writes a terminal state (from one of `from`) with its reason, then acks. */
  async #end(
    from: readonly JobStatus[],
    status: 'failed' | 'canceled' | 'expired',
    error: { readonly code: string; readonly message: string } | null,
  ): Promise<LeaseResult> {
    const write = await this.#recorder.write(this.#lease.message.jobId, from, (current, at) =>
      ended(current, at, status, error),
    );
    if (!write.written) return this.#movedOn(write.status);
    this.#log.info(`job ${status}`, this.#fields(error === null ? {} : { error: error.code }));
    return this.#finish(status, write.published, error ?? undefined);
  }

  /** The record was already where this delivery wanted to take it, or further: ack and stop. */
  async #movedOn(status: JobStatus): Promise<LeaseResult> {
    this.#log.info('job moved on meanwhile; acking', this.#fields({ status }));
    await this.#settle.ack();
    return this.#result(status === 'canceled' ? 'canceled' : 'skipped');
  }

  /**
   * Acks a job whose terminal event went out. If the event could not be published, the message is
   * released instead: its next delivery finds the terminal record and publishes the event again.
   */
  async #finish(
    outcome: LeaseOutcome,
    published: boolean,
    error?: { readonly code: string; readonly message: string },
  ): Promise<LeaseResult> {
    if (published) await this.#settle.ack();
    else await this.#settle.release(this.#deps.settings.backoffSeconds(this.#attempt));
    return this.#result(outcome, error);
  }

  async #deleteQuietly(key: string): Promise<void> {
    try {
      await this.#deps.blobs.delete(key);
    } catch (error) {
      this.#log.warn('could not delete the output of a canceled job', this.#fields({ key, error }));
    }
  }

  #result(
    outcome: LeaseOutcome,
    error?: { readonly code: string; readonly message: string },
    delaySeconds?: number,
  ): LeaseResult {
    return {
      jobId: this.#lease.message.jobId,
      outcome,
      attempt: this.#attempt,
      ...(error === undefined ? {} : { error }),
      ...(delaySeconds === undefined ? {} : { delaySeconds }),
    };
  }

  #fields(extra: Readonly<Record<string, unknown>> = {}): Readonly<Record<string, unknown>> {
    const { jobId, lane, traceId } = this.#lease.message;
    return {
      jobId,
      lane,
      traceId,
      attempt: this.#attempt,
      messageId: this.#lease.messageId,
      ...extra,
    };
  }
}
