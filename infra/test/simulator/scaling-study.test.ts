import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../lib/service-settings.ts';
import { makeTrace } from '../../simulator/arrival-traces.ts';
import type { LaneRun } from '../../simulator/lane-simulator.ts';
import { renderTable } from '../../simulator/markdown-table.ts';
import { markdownTable, percentile, summariseRun } from '../../simulator/run-summary.ts';
import { runScalingStudy, studyMarkdown } from '../../simulator/scaling-study.ts';
import { DEFAULT_SIMULATION_PARAMS } from '../../simulator/simulation-params.ts';

describe('makeTrace', () => {
  it('generates the four traces at their documented sizes and rates', () => {
    const dump = makeTrace('batch-dump', 7, 0.25);
    const steady = makeTrace('steady', 7, 0.25);
    const bursty = makeTrace('bursty', 7, 0.25);
    const day = makeTrace('day', 7, 0.25);

    expect(dump.jobs).toHaveLength(10_000);
    expect(Math.max(...dump.jobs.map((j) => j.arrival))).toBeLessThan(60);
    // Poisson 0.5/s for 7,200 s: 3,600 expected.
    expect(steady.jobs.length).toBeGreaterThan(3400);
    expect(steady.jobs.length).toBeLessThan(3800);
    // 6/min for 3 h (about 1,080) plus 4 bursts of 300.
    expect(bursty.jobs.length).toBeGreaterThan(2100);
    expect(bursty.jobs.length).toBeLessThan(2400);
    // Mean rate 0.41/s over 24 h: about 35,400.
    expect(day.jobs.length).toBeGreaterThan(34_000);
    expect(day.jobs.length).toBeLessThan(37_000);
    const share = dump.jobs.filter((j) => j.size === 2048).length / dump.jobs.length;
    expect(share).toBeGreaterThan(0.23);
    expect(share).toBeLessThan(0.27);
  });

  it('is reproducible from the seed and differs between seeds', () => {
    expect(makeTrace('steady', 7, 0.25)).toEqual(makeTrace('steady', 7, 0.25));
    expect(makeTrace('steady', 8, 0.25).jobs.length).not.toBe(
      makeTrace('steady', 7, 0.25).jobs.length,
    );
  });
});

describe('summariseRun', () => {
  const run: LaneRun = {
    lane: 'batch',
    trace: 't',
    arrivals: [0, 0, 0, 0],
    completions: [1, 2, 3, 10],
    endTime: 3600,
    hostSeconds: 7200,
    gpusPerHost: 1,
    busyGpuSeconds: 3600,
    peakTasks: 2,
    peakHosts: 2,
  };

  it('reports nearest-rank percentiles, GPU-hours, busy share and cost per 1,000 images', () => {
    const gpu = { ...resolveSettings().gpuClasses.l4, onDemandHourlyUsd: 1, spotHourlyUsd: 0.25 };

    const summary = summariseRun(run, gpu);

    expect(summary).toMatchObject({
      p50: 2,
      p95: 10,
      p99: 10,
      firstResult: 1,
      gpuHours: 2,
      busyShare: 0.5,
    });
    // 2 host-hours at 1 USD for 4 images = 500 USD per 1,000.
    expect(summary.onDemandPer1000).toBe(500);
    expect(summary.spotPer1000).toBe(125);
  });

  it('refuses a run with an unfinished job', () => {
    expect(() =>
      summariseRun({ ...run, completions: [1, Number.NaN, 3, 4] }, resolveSettings().gpuClasses.l4),
    ).toThrow(/job 1 did not/);
  });

  it('uses nearest rank', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  });
});

describe('runScalingStudy', () => {
  it('runs the four traces on both lanes with the stack settings and reports a table row each', () => {
    const settings = resolveSettings();
    const study = runScalingStudy(settings, DEFAULT_SIMULATION_PARAMS, 7);

    expect(study.rows.map((r) => `${r.trace}/${r.lane}`)).toEqual([
      'steady/interactive',
      'steady/batch',
      'bursty/interactive',
      'bursty/batch',
      'day/interactive',
      'day/batch',
      'batch-dump/interactive',
      'batch-dump/batch',
    ]);
    for (const row of study.rows) {
      expect(row.p50).toBeLessThanOrEqual(row.p95);
      expect(row.p95).toBeLessThanOrEqual(row.p99);
      expect(row.peakTasks).toBeLessThanOrEqual(
        settings.plans[row.lane as 'batch'].scaling.maxTasks,
      );
      expect(row.spotPer1000).toBeLessThan(row.onDemandPer1000);
    }
    expect(study.coldStarts.map((c) => c.lane)).toEqual(['interactive', 'batch']);
    expect(markdownTable(study.rows).split('\n')).toHaveLength(10);
  });

  it('follows the settings: a warmer interactive lane answers the first job at once', () => {
    const cold = resolveSettings({ lanes: { interactive: { minTasks: 0 } } });

    const study = runScalingStudy(cold, DEFAULT_SIMULATION_PARAMS, 7);

    const first = study.rows.find((r) => r.lane === 'interactive')?.firstResult ?? 0;
    expect(first).toBeGreaterThan(cold.gpuClasses.h100.instanceStartSeconds);
  });
});

describe('docs/scaling.md', () => {
  it('holds the table the simulator prints for the current settings', () => {
    const settings = resolveSettings();
    const params = { ...DEFAULT_SIMULATION_PARAMS, bundleBytes: settings.model.bundleBytes };

    const printed = studyMarkdown(runScalingStudy(settings, params, 7), settings, params);

    expect(readFileSync(new URL('../../../docs/scaling.md', import.meta.url), 'utf8')).toContain(
      printed,
    );
  });
});

describe('renderTable', () => {
  it('pads columns and marks right-aligned ones as the formatter does', () => {
    expect(renderTable(['a', 'value'], ['left', 'right'], [['long text', '1.5']])).toBe(
      ['| a         | value |', '| --------- | ----: |', '| long text |   1.5 |'].join('\n'),
    );
  });
});
