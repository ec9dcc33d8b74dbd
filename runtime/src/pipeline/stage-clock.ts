import type { GraphName } from '#runtime/bundle/graph-contract.ts';
import type { Feeds, GraphRunner, HostTensor } from './graph-runner.ts';

/** Wall time per pipeline stage, and the part of it spent inside graph runs. */
export interface StageTimings {
  /** Milliseconds per stage, in the order the stages ran. */
  readonly stages: Readonly<Record<string, number>>;
  /** Time inside ONNX graph runs (the model's own work). */
  readonly graphMs: number;
  /** Everything else: decoding, preprocessing, tokenization, scheduler and guidance math, copies, encoding. */
  readonly hostMs: number;
  readonly totalMs: number;
}

/**
 * Measures stages and separates graph time from host time. It wraps the graph runner so every run
 * is counted, whichever stage made it.
 */
export class StageClock {
  private readonly stages: Record<string, number> = {};
  private graphMs = 0;
  private readonly started = performance.now();

  /** A runner that forwards to `inner` and books the time of each run as graph time. */
  timedRunner(inner: GraphRunner): GraphRunner {
    return {
      run: async (graph: GraphName, feeds: Feeds): Promise<Record<string, HostTensor>> => {
        const t0 = performance.now();
        try {
          return await inner.run(graph, feeds);
        } finally {
          this.graphMs += performance.now() - t0;
        }
      },
    };
  }

  async stage<T>(name: string, work: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      this.stages[name] = (this.stages[name] ?? 0) + (performance.now() - t0);
    }
  }

  finish(): StageTimings {
    const totalMs = performance.now() - this.started;
    return {
      stages: { ...this.stages },
      graphMs: this.graphMs,
      hostMs: totalMs - this.graphMs,
      totalMs,
    };
  }
}
