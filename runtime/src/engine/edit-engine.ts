import { Worker } from 'node:worker_threads';
import { CanceledError, InferenceError } from '#core/errors.ts';
import type {
  PipelineRequest,
  PipelineResult,
  ProgressEvent,
} from '#runtime/pipeline/pipeline-types.ts';
import type { EngineOptions } from './pipeline-resources.ts';
import {
  type FromThread,
  type ModelInfo,
  reviveError,
  type ThreadInit,
  type ToThread,
} from './thread-messages.ts';

export interface EditCallOptions {
  /** Called after each denoising step. */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Aborting cancels the job at its next denoising step (the run rejects with CanceledError). */
  readonly signal?: AbortSignal;
}

interface PendingJob {
  resolve(result: PipelineResult): void;
  reject(error: Error): void;
  onProgress: ((event: ProgressEvent) => void) | undefined;
}

const THREAD_ENTRY = new URL('./inference-thread-entry.mjs', import.meta.url);

/**
 * The VIBE pipeline behind a worker thread. Sessions are created once when the engine starts;
 * jobs run one at a time in the thread while the caller's event loop stays responsive. If the
 * thread dies (a native crash, an out-of-memory abort), the job in flight fails with a retryable
 * InferenceError and the next call starts a fresh thread instead of wedging.
 */
export class EditEngine {
  private worker: Worker | undefined;
  private ready: Promise<ModelInfo> | undefined;
  private readonly pending = new Map<number, PendingJob>();
  private nextJobId = 1;
  private closing: Promise<void> | undefined;
  /** How many times the inference thread had to be replaced after dying. */
  restarts = 0;

  constructor(private readonly options: EngineOptions) {}

  /**
   * Starts the inference thread and waits until every session is created and checked.
   * @throws BundleError, ExecutionProviderError — the engine refuses to start on a bad setup.
   */
  async start(): Promise<ModelInfo> {
    if (this.closing !== undefined) throw new InferenceError('The engine is closed');
    this.ready ??= this.spawn();
    return this.ready;
  }

  /** Runs one edit. Resolves with the encoded image and timings; rejects with an AppError. */
  async edit(request: PipelineRequest, call: EditCallOptions = {}): Promise<PipelineResult> {
    await this.start();
    const worker = this.worker;
    if (worker === undefined) throw new InferenceError('The inference thread is not running');
    const jobId = this.nextJobId++;
    const cancelFlag = new Int32Array(new SharedArrayBuffer(4));
    if (call.signal?.aborted) throw new CanceledError('Canceled before the job started');
    const abort = (): void => {
      Atomics.store(cancelFlag, 0, 1);
    };
    call.signal?.addEventListener('abort', abort, { once: true });
    try {
      return await new Promise<PipelineResult>((resolve, reject) => {
        this.pending.set(jobId, { resolve, reject, onProgress: call.onProgress });
        const message: ToThread = { type: 'edit', jobId, request, cancelFlag };
        worker.postMessage(message);
      });
    } finally {
      call.signal?.removeEventListener('abort', abort);
    }
  }

  /** Stops the thread after the job in flight; safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' } satisfies ToThread);
    await exited;
  }

  private spawn(): Promise<ModelInfo> {
    const init: ThreadInit = { options: this.options };
    const worker = new Worker(THREAD_ENTRY, {
      workerData: init,
    });
    this.worker = worker;
    return new Promise<ModelInfo>((resolve, reject) => {
      let started = false;
      worker.on('message', (message: FromThread) => {
        switch (message.type) {
          case 'ready':
            started = true;
            resolve(message.model);
            return;
          case 'startup-failed':
            reject(reviveError(message.error));
            void worker.terminate();
            return;
          case 'progress':
            this.pending.get(message.jobId)?.onProgress?.(message.progress);
            return;
          case 'result':
            this.settle(message.jobId, (job) => job.resolve(message.result));
            return;
          case 'failed':
            this.settle(message.jobId, (job) => job.reject(reviveError(message.error)));
            return;
        }
      });
      // A thread that dies (uncaught error, exit) fails its job in flight with a retryable error;
      // the next call spawns a fresh thread. 'error' and 'exit' both fire: handle the first.
      const onDeath = (cause: Error): void => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        this.ready = undefined;
        if (started) this.restarts += 1;
        else reject(cause);
        this.failAll(cause);
      };
      worker.on('error', onDeath);
      worker.on('exit', (code) => {
        if (this.closing === undefined) {
          onDeath(new InferenceError(`The inference thread exited with code ${code}`));
        } else if (this.worker === worker) {
          this.worker = undefined;
        }
      });
    });
  }

  private settle(jobId: number, action: (job: PendingJob) => void): void {
    const job = this.pending.get(jobId);
    if (job === undefined) return;
    this.pending.delete(jobId);
    action(job);
  }

  private failAll(cause: Error): void {
    for (const [jobId, job] of this.pending) {
      this.pending.delete(jobId);
      job.reject(
        new InferenceError(`The inference thread died during the job: ${cause.message}`, {
          cause,
          retryable: true,
        }),
      );
    }
  }

  /**
   * Test hook: makes the thread die of an uncaught error between two graph runs. (Terminating a
   * thread while it is inside a native onnxruntime call aborts the whole process, as a real native
   * crash would; only JavaScript-level deaths of the thread are recoverable.)
   */
  crashForTest(): void {
    this.worker?.postMessage({ type: 'crash-for-test' } satisfies ToThread);
  }
}
