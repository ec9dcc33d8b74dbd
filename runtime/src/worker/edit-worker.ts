import { ConflictError, InferenceError, ValidationError } from '#core/errors.ts';
import type { JobMessage } from '#core/jobs/job-message.ts';
import type { Lane } from '#core/jobs/job-record.ts';
import type { BlobStore, EventQueue, JobQueue, JobStore, Lease } from '#core/ports.ts';
import type { Engine, ModelInfo } from './engine.ts';
import { type LeaseResult, processLease } from './process-lease.ts';
import { silentLog, type WorkerLog } from './worker-log.ts';
import type { WorkerSettings } from './worker-settings.ts';

/** One lane's queue. */
export interface LaneQueue {
  readonly lane: Lane;
  readonly queue: JobQueue<JobMessage>;
}

export interface EditWorkerOptions {
  readonly engine: Engine;
  /** In priority order: the first lane is always polled first (interactive before batch). */
  readonly lanes: readonly LaneQueue[];
  readonly store: JobStore;
  readonly blobs: BlobStore;
  readonly events: EventQueue;
  readonly settings: WorkerSettings;
  readonly log?: WorkerLog;
  /** The clock of job timestamps. @default Date.now */
  readonly now?: () => number;
  /** Called after each delivery is handled (metrics, tests). */
  readonly onResult?: (result: LeaseResult) => void;
  /** Called once the engine has started, before the first receive (start-up notices). */
  readonly onStarted?: (model: ModelInfo) => void;
}

export interface CloseOptions {
  /** How long the current job may still run before it is released to another worker. */
  readonly deadlineMs?: number;
}

/** What the worker is doing, for health checks and logs. */
export interface WorkerState {
  readonly phase: 'new' | 'polling' | 'busy' | 'closing' | 'closed';
  readonly currentJobId: string | undefined;
  /** Deliveries handled since start. */
  readonly handled: number;
}

/** A receive failure (the queue is down) is retried after 1 s, 2 s, 4 s, … up to 30 s. */
const RECEIVE_RETRY_MAX_MS = 30_000;

/**
 * The GPU worker's job loop: one job at a time (one GPU per process, DESIGN §7). It polls its lanes
 * in priority order, hands each delivery to `processLease`, and on `close()` stops receiving, lets
 * the current job finish within a deadline or releases it to another worker, then stops the engine.
 * See docs/worker.md.
 */
export class EditWorker {
  readonly #options: EditWorkerOptions;
  readonly #log: WorkerLog;
  readonly #pollAbort = new AbortController();
  readonly #drainAbort = new AbortController();
  #starting: Promise<ModelInfo> | undefined;
  #loop: Promise<void> | undefined;
  #current: { readonly jobId: string; readonly done: Promise<LeaseResult> } | undefined;
  #closing: Promise<void> | undefined;
  #closed = false;
  #handled = 0;

  constructor(options: EditWorkerOptions) {
    if (options.lanes.length === 0) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        'Expected at least one lane to poll (interactive, batch) but received none',
      );
    }
    this.#options = options;
    this.#log = options.log ?? silentLog;
  }

  get state(): WorkerState {
    const phase = this.#closed
      ? 'closed'
      : this.#closing !== undefined
        ? 'closing'
        : this.#current !== undefined
          ? 'busy'
          : this.#loop !== undefined
            ? 'polling'
            : 'new';
    return { phase, currentJobId: this.#current?.jobId, handled: this.#handled };
  }

  /**
   * Starts the engine, then the loop. Resolves with the model once the loop runs.
   * @throws the engine's start error (BundleError, ExecutionProviderError): the worker refuses to
   *   start, takes no job, and has stopped the engine again.
   */
  start(): Promise<ModelInfo> {
    if (this.#closing !== undefined) {
      return Promise.reject(new ConflictError('Expected a worker that was not closed but it is'));
    }
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /** Stops the worker; safe to call more than once (the first call's deadline applies). */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#shutdown(options.deadlineMs ?? this.#options.settings.drainMs);
    return this.#closing;
  }

  async #start(): Promise<ModelInfo> {
    let model: ModelInfo;
    try {
      model = await this.#options.engine.start();
    } catch (error) {
      this.#log.error('the engine did not start; the worker refuses to start', { error });
      await this.#options.engine.close().catch((closeError: unknown) => {
        this.#log.warn('could not stop the engine after its failed start', { error: closeError });
      });
      throw error;
    }
    this.#options.onStarted?.(model);
    const lanes = this.#options.lanes.map((lane) => lane.lane);
    this.#log.info('worker started', { model: model.name, version: model.version, lanes });
    this.#loop = this.#run(model);
    return model;
  }

  async #run(model: ModelInfo): Promise<void> {
    let failures = 0;
    while (this.#closing === undefined) {
      let lease: Lease<JobMessage> | undefined;
      try {
        lease = await this.#receive();
        failures = 0;
      } catch (error) {
        failures += 1;
        const retryInMs = Math.min(RECEIVE_RETRY_MAX_MS, 1000 * 2 ** Math.min(failures - 1, 15));
        this.#log.warn('receiving a job failed; retrying', { error, retryInMs });
        await this.#pause(retryInMs);
        continue;
      }
      if (lease === undefined) continue;
      if (this.#closing !== undefined) {
        // Received while close() began: give it straight back rather than start a job now.
        await lease.release(0).catch((error: unknown) => {
          this.#log.warn('could not release a message received during shutdown', { error });
        });
        break;
      }
      await this.#handle(lease, model);
    }
  }

  async #handle(lease: Lease<JobMessage>, model: ModelInfo): Promise<void> {
    const { engine, store, blobs, events, settings, now, log } = this.#options;
    const done = processLease(lease, {
      engine,
      store,
      blobs,
      events,
      model,
      settings,
      shutdown: this.#drainAbort.signal,
      ...(now === undefined ? {} : { now }),
      ...(log === undefined ? {} : { log }),
    });
    this.#current = { jobId: lease.message.jobId, done };
    try {
      const result = await done;
      this.#handled += 1;
      this.#options.onResult?.(result);
    } catch (error) {
      // processLease reports every outcome as a result; this is a bug, not a job failure.
      this.#log.error('processing a job message threw', { jobId: lease.message.jobId, error });
    } finally {
      this.#current = undefined;
    }
  }

  /** Quick look at every lane in priority order, then a long poll on the first lane. */
  async #receive(): Promise<Lease<JobMessage> | undefined> {
    const { lanes, settings } = this.#options;
    const options = (waitSeconds: number) => ({
      maxMessages: 1,
      waitSeconds,
      leaseSeconds: settings.leaseSeconds,
      signal: this.#pollAbort.signal,
    });
    if (lanes.length > 1) {
      for (const { queue } of lanes) {
        const [lease] = await queue.receive(options(0));
        if (lease !== undefined || this.#closing !== undefined) return lease;
      }
    }
    const [lease] = await (lanes[0] as LaneQueue).queue.receive(options(settings.idleWaitSeconds));
    return lease;
  }

  async #shutdown(deadlineMs: number): Promise<void> {
    this.#log.info('worker closing', { deadlineMs, currentJobId: this.#current?.jobId });
    this.#pollAbort.abort();
    const errors: unknown[] = [];
    const step = async (name: string, work: () => Promise<unknown>): Promise<void> => {
      try {
        await work();
      } catch (error) {
        errors.push(error);
        this.#log.error(`closing the worker: ${name} failed`, { error });
      }
    };
    await step('drain', () => this.#drain(deadlineMs));
    await step('loop', async () => {
      await this.#starting?.catch(() => undefined);
      await this.#loop;
    });
    await step('engine', () => this.#closeEngine());
    this.#closed = true;
    this.#log.info('worker closed', { handled: this.#handled });
    if (errors.length > 0) {
      throw new AggregateError(errors, `Closing the worker failed in ${errors.length} step(s)`);
    }
  }

  async #drain(deadlineMs: number): Promise<void> {
    const current = this.#current;
    if (current === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      current.done.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (finished) return;
    this.#log.warn('drain deadline passed: releasing the current job to another worker', {
      jobId: current.jobId,
      deadlineMs,
    });
    this.#drainAbort.abort();
    await current.done;
  }

  async #closeEngine(): Promise<void> {
    const limitMs = this.#options.settings.engineCloseTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new InferenceError(
              `Expected the engine to stop within ${limitMs} ms but it is still running; exiting without it`,
            ),
          ),
        limitMs,
      );
    });
    try {
      await Promise.race([this.#options.engine.close(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits `ms`, or less if the worker starts closing. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#pollAbort.signal;
      if (signal.aborted) {
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
