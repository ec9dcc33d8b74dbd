import { describe, expect, it, vi } from 'vitest';
import type { ProgressEvent } from '#runtime/pipeline/pipeline-types.ts';
import { ProgressReporter } from '#runtime/worker/progress-reporter.ts';

/** A clock the test moves by hand, and a write that takes `writeMs` of it. */
function setup(options: { intervalMs: number; current?: (event: ProgressEvent) => boolean }) {
  let now = 0;
  const written: ProgressEvent[] = [];
  const onMovedOn = vi.fn();
  const onError = vi.fn();
  const reporter = new ProgressReporter({
    intervalMs: options.intervalMs,
    now: () => now,
    write: async (event) => {
      written.push(event);
      return options.current?.(event) ?? true;
    },
    onMovedOn,
    onError,
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    reporter,
    written,
    onMovedOn,
    onError,
    settle,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('ProgressReporter', () => {
  it('writes the first step at once, then at most one step per interval, and always the last', async () => {
    const t = setup({ intervalMs: 500 });

    // 100 steps, 30 ms apart: 2.97 s of steps.
    for (let step = 1; step <= 100; step++) {
      t.reporter.report({ step, steps: 100 });
      await t.settle();
      t.advance(30);
    }
    await t.reporter.stop();

    expect(t.written.map((e) => e.step)).toEqual([1, 18, 35, 52, 69, 86, 100]);
    expect(t.reporter.writes).toBe(7);
  });

  it('never overlaps writes and writes the newest waiting step after a slow write', async () => {
    let release: () => void = () => {};
    let inFlight = 0;
    let maxInFlight = 0;
    const written: number[] = [];
    const reporter = new ProgressReporter({
      intervalMs: 0,
      now: () => 0,
      write: async (event) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        written.push(event.step);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        inFlight -= 1;
        return true;
      },
      onMovedOn: vi.fn(),
      onError: vi.fn(),
    });

    reporter.report({ step: 1, steps: 5 });
    reporter.report({ step: 2, steps: 5 });
    reporter.report({ step: 3, steps: 5 });
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await new Promise((resolve) => setImmediate(resolve));

    expect(written).toEqual([1, 3]);
    expect(maxInFlight).toBe(1);
  });

  it('stops and says so once a write finds the record moved on (the cancel check)', async () => {
    const t = setup({ intervalMs: 0, current: (event) => event.step < 3 });

    for (let step = 1; step <= 6; step++) {
      t.reporter.report({ step, steps: 6 });
      await t.settle();
    }

    expect(t.written.map((e) => e.step)).toEqual([1, 2, 3]);
    expect(t.onMovedOn).toHaveBeenCalledTimes(1);
  });

  it('goes on after a failed write (progress is best effort)', async () => {
    let calls = 0;
    const onError = vi.fn();
    const reporter = new ProgressReporter({
      intervalMs: 0,
      now: () => 0,
      write: async () => {
        calls += 1;
        if (calls === 1) throw new Error('store hiccup');
        return true;
      },
      onMovedOn: vi.fn(),
      onError,
    });

    reporter.report({ step: 1, steps: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    reporter.report({ step: 2, steps: 2 });
    await reporter.stop();

    expect(calls).toBe(2);
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it('writes nothing after stop()', async () => {
    const t = setup({ intervalMs: 0 });

    await t.reporter.stop();
    t.reporter.report({ step: 1, steps: 1 });
    await t.settle();

    expect(t.written).toEqual([]);
  });
});
