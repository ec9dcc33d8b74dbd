import { LANE_NAMES } from '../lib/lane-settings.ts';
import type { ResolvedSettings } from '../lib/service-settings.ts';
import { makeTrace, TRACE_NAMES, traceOf } from './arrival-traces.ts';
import { simulateLane } from './lane-simulator.ts';
import { renderTable } from './markdown-table.ts';
import { formatDuration, markdownTable, type RunSummary, summariseRun } from './run-summary.ts';
import type { SimulationParams } from './simulation-params.ts';

/** Time from an idle, empty lane to the first result, for one 1024x1024 edit. */
export interface ColdStart {
  readonly lane: string;
  readonly seconds: number;
}

export interface ScalingStudy {
  readonly seed: number;
  readonly rows: readonly RunSummary[];
  readonly coldStarts: readonly ColdStart[];
}

/** Runs every trace on every lane with the stack's settings, plus a cold start per lane. */
export function runScalingStudy(
  settings: ResolvedSettings,
  params: SimulationParams,
  seed: number,
): ScalingStudy {
  const rows: RunSummary[] = [];
  for (const traceName of TRACE_NAMES) {
    const trace = makeTrace(traceName, seed, settings.workload.share2048);
    for (const lane of LANE_NAMES) {
      const plan = settings.plans[lane];
      rows.push(summariseRun(simulateLane(plan, trace, params), plan.gpu));
    }
  }
  const coldStarts = LANE_NAMES.map((lane) => {
    const plan = settings.plans[lane];
    const run = simulateLane(plan, traceOf('cold', [{ arrival: 0, size: 1024 }]), {
      ...params,
      startFromZero: true,
    });
    return { lane, seconds: (run.completions[0] as number) - 0 };
  });
  return { seed, rows, coldStarts };
}

/** The study as Markdown: results, cold starts, and every assumption that produced them. */
export function studyMarkdown(
  study: ScalingStudy,
  settings: ResolvedSettings,
  params: SimulationParams,
): string {
  const lanes = LANE_NAMES.map((lane) => settings.plans[lane]);
  const laneTable = renderTable(
    [
      'lane',
      'GPU',
      'tasks',
      'backlog target',
      'typical job',
      'cooldown out / in',
      'wake steps (visible→tasks)',
    ],
    ['left', 'left', 'left', 'right', 'right', 'left', 'left'],
    lanes.map((p) => [
      p.name,
      `${p.gpuClass}${p.spot ? ' (spot)' : ''}`,
      `${p.scaling.minTasks}-${p.scaling.maxTasks}`,
      String(p.scaling.backlogPerTaskTarget),
      `${p.service.typicalSeconds.toFixed(2)} s`,
      `${p.scaling.scaleOutCooldownSeconds} / ${p.scaling.scaleInCooldownSeconds} s`,
      p.scaling.wakeSteps.map((s) => `${s.visibleAtLeast}→${s.tasks}`).join(', ') || 'none',
    ]),
  );
  const gpuTable = renderTable(
    [
      'GPU class',
      'reference type',
      '1024² / 2048²',
      'USD/h on-demand / spot',
      'host start',
      'image pull',
      'bundle download',
      'model load',
    ],
    ['left', 'left', 'left', 'left', 'right', 'right', 'right', 'right'],
    [...new Set(lanes.map((p) => p.gpuClass))].map((name) => {
      const g = settings.gpuClasses[name];
      return [
        name,
        g.instanceTypes[0] ?? '',
        `${g.secondsPerImage.px1024} s / ${g.secondsPerImage.px2048} s`,
        `${g.onDemandHourlyUsd} / ${g.spotHourlyUsd}`,
        `${g.instanceStartSeconds} s`,
        `${g.imagePullSeconds} s`,
        `${(g.modelDownloadBytesPerSecond / 1e9).toFixed(1)} GB/s`,
        `${g.modelLoadSeconds} s`,
      ];
    }),
  );
  const coldTable = renderTable(
    ['cold start (empty lane, one 1024x1024 edit)', 'time to first result'],
    ['left', 'right'],
    study.coldStarts.map((c) => [c.lane, formatDuration(c.seconds)]),
  );
  return [
    `Seed ${study.seed}; ${settings.workload.share2048 * 100}% of edits at 2048x2048, ${settings.workload.perJobOverheadSeconds} s host overhead per job.`,
    '',
    markdownTable(study.rows),
    '',
    coldTable,
    '',
    laneTable,
    '',
    gpuTable,
    '',
    `AWS behaviour assumed: metric lag ${params.metricLagSeconds} s, capacity provider reaction ${params.capacityReactionSeconds} s, empty host kept ${params.instanceScaleInDelaySeconds} s, bundle ${(params.bundleBytes / 1e9).toFixed(1)} GB, target tracking alarms of 3 (out) and 15 (in, at 90% of target) one-minute datapoints.`,
  ].join('\n');
}
