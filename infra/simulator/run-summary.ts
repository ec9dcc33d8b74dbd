import type { GpuClassProfile } from '../lib/gpu-classes.ts';
import type { LaneRun } from './lane-simulator.ts';
import { type Align, renderTable } from './markdown-table.ts';

/** The numbers the scaling study reports for one trace on one lane. */
export interface RunSummary {
  readonly trace: string;
  readonly lane: string;
  readonly jobs: number;
  /** Time-to-result (submission to output stored), seconds. */
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Time-to-result of the first job of the trace, from the lane's starting state. */
  readonly firstResult: number;
  /** GPU-hours billed (hosts from launch to termination, times GPUs per host). */
  readonly gpuHours: number;
  /** Share of billed GPU time spent on jobs. */
  readonly busyShare: number;
  readonly onDemandPer1000: number;
  readonly spotPer1000: number;
  readonly peakTasks: number;
  /** Seconds from the first arrival to the end of the billing window. */
  readonly windowSeconds: number;
}

/** Nearest-rank percentile of ascending `sorted` values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/**
 * Summarises a run: latency percentiles, first result, billed GPU-hours and the cost per 1,000
 * images at the GPU class's on-demand and spot prices (per host-hour; hosts billed per second).
 * @throws Error when a job never finished (the simulation's tail cap cut it off).
 */
export function summariseRun(run: LaneRun, gpu: GpuClassProfile): RunSummary {
  const latencies = run.completions.map((done, i) => done - (run.arrivals[i] as number));
  const unfinished = latencies.findIndex((latency) => !Number.isFinite(latency));
  if (unfinished >= 0) {
    throw new Error(
      `Expected every job of ${run.trace} on ${run.lane} to finish, but job ${unfinished} did not within the tail cap`,
    );
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const hostHours = run.hostSeconds / 3600;
  const jobs = latencies.length;
  const per1000 = (hourly: number) => (jobs === 0 ? 0 : ((hostHours * hourly) / jobs) * 1000);
  return {
    trace: run.trace,
    lane: run.lane,
    jobs,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    firstResult: latencies[0] ?? Number.NaN,
    gpuHours: hostHours * run.gpusPerHost,
    busyShare: run.hostSeconds === 0 ? 0 : run.busyGpuSeconds / (run.hostSeconds * run.gpusPerHost),
    onDemandPer1000: per1000(gpu.onDemandHourlyUsd),
    spotPer1000: per1000(gpu.spotHourlyUsd),
    peakTasks: run.peakTasks,
    windowSeconds: run.endTime - (run.arrivals[0] ?? 0),
  };
}

/** Seconds as `4.2 s`, `3.5 min` or `1.2 h`. */
export function formatDuration(seconds: number): string {
  if (seconds < 100) return `${seconds.toFixed(1)} s`;
  if (seconds < 6000) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(2)} h`;
}

/** The study's table, one row per run. */
export function markdownTable(rows: readonly RunSummary[]): string {
  const header = [
    'trace',
    'lane',
    'jobs',
    'p50',
    'p95',
    'p99',
    'first result',
    'GPU-h',
    'busy',
    '$/1k on-demand',
    '$/1k spot',
    'peak tasks',
  ];
  const align: Align[] = ['left', 'left', ...Array<Align>(10).fill('right')];
  return renderTable(
    header,
    align,
    rows.map((r) => [
      r.trace,
      r.lane,
      String(r.jobs),
      formatDuration(r.p50),
      formatDuration(r.p95),
      formatDuration(r.p99),
      formatDuration(r.firstResult),
      r.gpuHours.toFixed(1),
      `${Math.round(r.busyShare * 100)}%`,
      r.onDemandPer1000.toFixed(2),
      r.spotPer1000.toFixed(2),
      String(r.peakTasks),
    ]),
  );
}
