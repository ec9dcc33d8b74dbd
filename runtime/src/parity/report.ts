import type { StageComparison } from './compare-stage.ts';
import { describeCriterion } from './thresholds.ts';

export interface ParitySummary {
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
}

export function summarizeParity(results: readonly StageComparison[]): ParitySummary {
  const passed = results.filter((result) => result.pass).length;
  return { total: results.length, passed, failed: results.length - passed };
}

function formatNumber(value: number, digits: (v: number) => string): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  return digits(value);
}

const HEADERS = ['stage', 'criterion', 'cosine', 'max abs', 'mean abs', 'PSNR', 'result'] as const;

/**
 * A plain-text table for the CLI, one row per stage, then notes for failures that carry a detail
 * and a closing line `Parity: P of N stages within tolerance` that names the failing stages. (The
 * wording avoids the `N passed, N failed` line that CI scrapes from test runners.)
 */
export function formatParityReport(results: readonly StageComparison[]): string {
  const rows = results.map((result) => [
    result.stage,
    describeCriterion(result.threshold),
    formatNumber(result.cosine, (v) => v.toFixed(6)),
    formatNumber(result.maxAbs, (v) => v.toExponential(3)),
    formatNumber(result.meanAbs, (v) => v.toExponential(3)),
    result.psnr === null ? '-' : formatNumber(result.psnr, (v) => `${v.toFixed(2)} dB`),
    result.pass ? 'pass' : 'FAIL',
  ]);
  const widths = HEADERS.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const notes = results
    .filter((result) => result.detail !== null)
    .map((result) => `${result.stage}: ${result.detail}`);
  const { total, passed } = summarizeParity(results);
  const failing = results.filter((result) => !result.pass).map((result) => result.stage);
  return [
    line(HEADERS),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
    ...(notes.length > 0 ? ['', ...notes] : []),
    '',
    `Parity: ${passed} of ${total} stages within tolerance${failing.length > 0 ? `; failing: ${failing.join(', ')}` : ''}`,
  ].join('\n');
}
